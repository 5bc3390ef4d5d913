import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  BASE_SCOPE,
  createAuditLog,
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  oauthErrorHandler,
  PostgresRevocationStore,
  signingKeyFromPem,
  type PrismaClient,
} from '@mcp-auth/core';
import { authorizeRouter } from '../../services/authz/src/authorize/router.ts';
import { createAuthzContext } from '../../services/authz/src/context.ts';
import type { AuthzDeps } from '../../services/authz/src/deps.ts';
import { testAuthzConfig } from './authz-config.ts';
import { startPostgres } from './infra.ts';

export interface AuthorizeServer {
  base: string;
  resource: string;
  prisma: PrismaClient;
  deps: AuthzDeps;
  close(): Promise<void>;
}

/**
 * The browser side of the authorization server (`/oauth/authorize`, login, consent, sign-out) on a
 * fresh database, listening on loopback; `env` sets the authorization server's variables.
 */
export async function startAuthorizeServer(env: Record<string, string> = {}): Promise<AuthorizeServer> {
  const db = await startPostgres();
  const prisma = createPrisma(db.url, { max: 4 });
  // Listen first: the issuer (and so every redirect checked) must be this server's real URL.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${base}/mcp`;
  const logger = createLogger('authz-test', 'silent');
  const deps: AuthzDeps = {
    config: testAuthzConfig(base, resource, env),
    prisma,
    signingKey: signingKeyFromPem(generateSigningKeyPem('ES256'), 'ES256'),
    logger,
    revocation: new PostgresRevocationStore(prisma),
    // Given here so that tests can flush it before reading the audit table.
    audit: createAuditLog({ prisma, logger }),
  };
  const app = express();
  app.use(authorizeRouter(createAuthzContext(deps)));
  app.use(oauthErrorHandler(logger));
  server.on('request', app);
  return {
    base,
    resource,
    prisma,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await deps.audit?.flush();
      await prisma.$disconnect();
      await db.stop();
    },
  };
}

// One PKCE challenge for a test run: these tests stop at the code and never redeem it.
const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');

/** An authorization request as a client sends it (PKCE S256, state `st`, the base scope), plus `params`. */
export function authorizationUrl(
  base: string,
  client: { clientId: string; redirectUri: string },
  params: Record<string, string> = {},
): string {
  const url = new URL('/oauth/authorize', base);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    scope: BASE_SCOPE,
    ...params,
  }).toString();
  return url.toString();
}
