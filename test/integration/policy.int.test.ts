import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  PostgresRevocationStore,
  randomToken,
  signingKeyFromPem,
  type PrismaClient,
} from '@mcp-auth/core';
import { createApp as createAuthzApp } from '@mcp-auth/authz';
import type { AuthzConfig } from '@mcp-auth/authz/config';
import { createApp as createRegistrationApp } from '@mcp-auth/registration';
import { testAuthzConfig } from '../support/authz-config.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import {
  addUser,
  clientPost,
  introspectToken,
  obtainTokens,
  redeemCode,
  refreshTokens,
  REDIRECT_URI,
  revokeToken,
  tokenSetOf,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';

/**
 * An operator's policy file, end to end through registration and the authorization server: scopes
 * that no code names (their consent wording, the default), and two protected servers whose tokens
 * carry each its own audience.
 */
const POLICY = `
scopes:
  files:read: Read the files in your workspace
  files:write: Change and delete the files in your workspace
  mail:send: Send email in your name
default_scope: files:read
servers:
  - path: /files
    name: Team files
    upstream: http://127.0.0.1:9/mcp
  - path: /mail
    upstream: http://127.0.0.1:9/mcp
    required: mail:send
`;

let dir: string;
let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let issuer: string;
let config: AuthzConfig;
let alice: User;
let client: ClientCredentials;
const initialAccessToken = randomToken(32);

const filesUrl = () => `${issuer}/files`;
const mailUrl = () => `${issuer}/mail`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-policy-'));
  const policyPath = join(dir, 'policy.yaml');
  await writeFile(policyPath, POLICY);
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // As the services' main does: the policy comes from MCP_POLICY_PATH, read once.
  config = testAuthzConfig(issuer, undefined, { MCP_POLICY_PATH: policyPath });
  const logger = createLogger('policy-test', 'silent');
  const revocation = new PostgresRevocationStore(prisma);
  const app = express();
  app.use(
    createRegistrationApp({
      config: { issuer, accessTokenTtl: config.accessTokenTtl, initialAccessToken, policy: config.policy },
      prisma,
      logger,
      revocation,
    }),
  );
  app.use(
    createAuthzApp({
      config,
      prisma,
      signingKey: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
      logger,
      revocation,
    }),
  );
  server.on('request', app);
  alice = await addUser(prisma, 'alice');
  client = await register({
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    client_name: 'Policy Test App',
    // What MCP clients often send: scopes of another server, next to one this policy declares.
    scope: 'openid files:read profile',
  });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await prisma?.$disconnect();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function register(metadata: Record<string, unknown>, token?: string): Promise<ClientCredentials> {
  const res = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(metadata),
  });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { clientId: body.client_id!, secret: body.client_secret };
}

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** /oauth/authorize → login, up to the page that follows (consent, or the redirect back). */
async function startAuthorization(params: Record<string, string>) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/oauth/authorize', issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'st',
    ...params,
  }).toString();
  const start = await fetch(url, { redirect: 'manual' });
  const location = new URL(start.headers.get('location')!);
  return { start, location, verifier };
}

describe('an operator-defined policy', () => {
  it('advertises exactly the declared scopes (RFC 8414 scopes_supported)', async () => {
    const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    const metadata = (await res.json()) as { scopes_supported: string[] };
    expect(metadata.scopes_supported).toEqual(['files:read', 'files:write', 'mail:send']);
  });

  it('registered the client with the declared scope only (the others were dropped)', async () => {
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: client.clientId } });
    expect(row.scope).toBe('files:read');
  });

  it('authorizes a new scope with its consent wording, and the token carries it for its server', async () => {
    const { start, verifier } = await startAuthorization({ scope: 'files:write', resource: filesUrl() });
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const requestId = new URL(start.headers.get('location')!).searchParams.get('request')!;
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      redirect: 'manual' as const,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;
    const loginHtml = await (await fetch(start.headers.get('location')!, { headers: { cookie } })).text();
    const afterLogin = await fetch(
      `${issuer}/oauth/login`,
      form({ request: requestId, csrf_token: csrfOf(loginHtml), ...alice }),
    );
    expect(new URL(afterLogin.headers.get('location')!).pathname).toBe('/oauth/consent');
    const consentHtml = await (
      await fetch(afterLogin.headers.get('location')!, { headers: { cookie } })
    ).text();
    expect(consentHtml).toContain('Change and delete the files in your workspace');
    expect(consentHtml).toContain('files:write');
    expect(consentHtml).toContain(`Team files (${filesUrl()})`);

    const approved = await fetch(
      `${issuer}/oauth/consent`,
      form({ request: requestId, csrf_token: csrfOf(consentHtml), decision: 'approve' }),
    );
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const tokens = tokenSetOf(await redeemCode(issuer, client, { code, verifier }));
    expect(tokens.scope).toBe('files:write');
    expect(claimsOf(tokens.accessToken)).toMatchObject({ aud: filesUrl(), scope: 'files:write' });
  });

  it('binds each token to the server it was asked for, and keeps consents per server', async () => {
    const files = await obtainTokens({
      issuer,
      client,
      user: alice,
      resource: filesUrl(),
      scope: 'files:read',
    });
    const mail = await obtainTokens({ issuer, client, user: alice, resource: mailUrl(), scope: 'mail:send' });
    expect(claimsOf(files.accessToken)).toMatchObject({ aud: filesUrl(), scope: 'files:read' });
    expect(claimsOf(mail.accessToken)).toMatchObject({ aud: mailUrl(), scope: 'mail:send' });

    const consents = await prisma.consent.findMany({ where: { clientId: client.clientId } });
    expect(Object.fromEntries(consents.map((c) => [c.resource, [...c.scopes].sort()]))).toEqual({
      [filesUrl()]: ['files:read', 'files:write'],
      [mailUrl()]: ['mail:send'],
    });

    // Refresh keeps the grant's server; asking for the other one is refused.
    const refreshed = tokenSetOf(await refreshTokens(issuer, client, mail.refreshToken!));
    expect(claimsOf(refreshed.accessToken)).toMatchObject({ aud: mailUrl() });
    const moved = await refreshTokens(issuer, client, refreshed.refreshToken!, { resource: filesUrl() });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toBe('invalid_target');

    // Introspection and revocation know the tokens of both servers.
    for (const t of [files, refreshed]) {
      const r = await introspectToken(issuer, client, t.accessToken);
      expect(r.body).toMatchObject({ active: true, aud: claimsOf(t.accessToken).aud });
    }
    expect((await revokeToken(issuer, client, files.accessToken)).status).toBe(200);
    expect((await introspectToken(issuer, client, files.accessToken)).body).toEqual({ active: false });
    expect((await introspectToken(issuer, client, refreshed.accessToken)).body).toMatchObject({
      active: true,
    });
  });

  it('without a resource, answers invalid_target: there are two servers to choose from', async () => {
    const { location } = await startAuthorization({ scope: 'files:read' });
    // The redirect URI is loopback, so the error goes straight back to it.
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(location.searchParams.get('error_description')).toContain(mailUrl());
  });

  it('refuses a scope the policy does not declare, and an unknown server', async () => {
    const scope = (await startAuthorization({ scope: 'mcp:tools', resource: filesUrl() })).location;
    expect(scope.searchParams.get('error')).toBe('invalid_scope');
    const target = (await startAuthorization({ scope: 'files:read', resource: `${issuer}/mcp` })).location;
    expect(target.searchParams.get('error')).toBe('invalid_target');
  });

  it('gives a client_credentials client with no registered scope the default scope, for the server it names', async () => {
    const machine = await register(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
      initialAccessToken,
    );
    const token = (params: Record<string, string>) =>
      clientPost(`${issuer}/oauth/token`, machine, { grant_type: 'client_credentials', ...params });

    const noTarget = await token({});
    expect(noTarget.status).toBe(400);
    expect(noTarget.body.error).toBe('invalid_target');

    const files = await token({ resource: filesUrl() });
    expect(files.status).toBe(200);
    expect(claimsOf(files.body.access_token as string)).toMatchObject({
      aud: filesUrl(),
      scope: 'files:read',
    });

    // Beyond the default scope: nobody registered more for it.
    const wider = await token({ resource: filesUrl(), scope: 'files:write' });
    expect(wider.body.error).toBe('invalid_scope');
  });
});
