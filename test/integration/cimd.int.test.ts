import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuardedFetcher,
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  PostgresRevocationStore,
  signingKeyFromPem,
  type GuardedFetcher,
  type PrismaClient,
} from '@mcp-auth/core';
import { createApp as createAuthzApp } from '@mcp-auth/authz';
import { createApp as createRegistrationApp } from '@mcp-auth/registration';
import { testAuthzConfig } from '../support/authz-config.ts';
import {
  json,
  selfSignedCertificate,
  startDocumentServer,
  TEST_HOST,
  type DocumentServer,
  type TestCertificate,
} from '../support/https-server.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import {
  addUser,
  authorize,
  clientPost,
  introspectToken,
  redeemCode,
  REDIRECT_URI,
  refreshTokens,
  revokeToken,
  tokenSetOf,
  type User,
} from '../support/oauth-flow.ts';

/**
 * Client ID Metadata Documents through the real authorization and registration apps: the
 * document is served over https on 127.0.0.1 under the fake name cimd.test, which an injected
 * resolver maps to loopback (with CIMD_ALLOW_PRIVATE_NETWORK's switch on), and its self-signed
 * certificate is trusted through an injected CA. The refused-address case resolves the same name
 * to a private address and is refused before any connection.
 */

let db: TestDatabase;
let prisma: PrismaClient;
let certificate: TestCertificate;
let documents: DocumentServer;
let user: User;
const servers: Server[] = [];

/** The authorization server (and registration) with the given outbound fetcher; its base URL. */
async function startAuthServer(outbound: GuardedFetcher): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = createLogger('cimd-test', 'silent');
  const revocation = new PostgresRevocationStore(prisma);
  const app = express();
  const config = testAuthzConfig(issuer);
  app.use(
    createRegistrationApp({
      config: { issuer, accessTokenTtl: 900, policy: config.policy },
      prisma,
      revocation,
      logger,
    }),
  );
  app.use(
    createAuthzApp({
      config,
      prisma,
      signingKey: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
      logger,
      revocation,
      outbound,
    }),
  );
  server.on('request', app);
  return issuer;
}

const resolveTo = (address: string) => async (): Promise<{ address: string; family: 4 | 6 }[]> => [
  { address, family: 4 },
];

let issuer: string;
let strictIssuer: string;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  certificate = await selfSignedCertificate();
  documents = await startDocumentServer(certificate);
  user = await addUser(prisma, 'cimd-user');
  issuer = await startAuthServer(
    createGuardedFetcher({
      allowPrivateNetwork: true,
      ca: [certificate.cert],
      resolve: resolveTo('127.0.0.1'),
    }),
  );
  // Production settings: private addresses refused. The name resolves to one.
  strictIssuer = await startAuthServer(
    createGuardedFetcher({
      allowPrivateNetwork: false,
      ca: [certificate.cert],
      resolve: resolveTo('10.0.0.7'),
    }),
  );
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await documents?.close();
  await certificate?.remove();
  await prisma?.$disconnect();
  await db?.stop();
});

const docUrl = (path: string) => `https://${TEST_HOST}:${documents.port}${path}`;

/** A document as an MCP client publishes it, served at `path`; returns its client_id. */
function publish(path: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const clientId = docUrl(path);
  documents.route(
    path,
    json(
      {
        client_id: clientId,
        client_name: 'Example MCP Client',
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...extra,
      },
      headers,
    ),
  );
  return clientId;
}

/** GET /oauth/authorize for a client, as a browser would send it; the status and page text. */
async function startAuthorization(at: string, clientId: string, redirectUri = REDIRECT_URI) {
  const url = new URL('/oauth/authorize', at);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'xyz',
    scope: 'mcp:tools',
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

describe('Client ID Metadata Documents', () => {
  it('are advertised in the metadata', async () => {
    const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(await res.json()).toMatchObject({ client_id_metadata_document_supported: true });
  });

  it('let a client with no registration log a person in, refresh and revoke', async () => {
    const clientId = publish('/apps/example/client.json', {}, { 'cache-control': 'max-age=600' });
    const resource = `${issuer}/mcp`;
    const code = await authorize({ issuer, client: { clientId }, user, resource, scope: 'mcp:tools' });
    const tokens = tokenSetOf(await redeemCode(issuer, { clientId }, code));
    expect(tokens.scope).toBe('mcp:tools');

    // The client is mirrored as a row marked as a metadata-document client, with no credentials.
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: clientId } });
    expect(row).toMatchObject({
      metadataDocument: true,
      tokenEndpointAuthMethod: 'none',
      clientName: 'Example MCP Client',
      redirectUris: [REDIRECT_URI],
      secretHash: null,
      registrationAccessTokenHash: null,
    });
    expect(await prisma.consent.count({ where: { clientId } })).toBe(1);

    const refreshed = await refreshTokens(issuer, { clientId }, tokens.refreshToken!);
    expect(refreshed.status).toBe(200);
    const next = tokenSetOf(refreshed);
    expect((await revokeToken(issuer, { clientId }, next.refreshToken!)).status).toBe(200);
    expect((await refreshTokens(issuer, { clientId }, next.refreshToken!)).body.error).toBe('invalid_grant');

    // One fetch served the whole flow (authorize, token, refresh, revoke): the cached copy.
    expect(documents.hits('/apps/example/client.json')).toBe(1);
  });

  it('are not managed through RFC 7592: there is no registration access token', async () => {
    const clientId = publish('/apps/managed/client.json');
    expect((await startAuthorization(issuer, clientId)).status).toBe(303);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${issuer}/oauth/register/${encodeURIComponent(clientId)}`, {
        method,
        headers: { authorization: 'Bearer anything-at-all', 'content-type': 'application/json' },
        body:
          method === 'PUT'
            ? JSON.stringify({ client_id: clientId, redirect_uris: [REDIRECT_URI] })
            : undefined,
      });
      expect(res.status).toBe(401);
    }
    expect(await prisma.oAuthClient.count({ where: { id: clientId } })).toBe(1);
  });

  it('keep a document at least the lower bound even when it says no-store', async () => {
    const clientId = publish('/apps/nostore/client.json', {}, { 'cache-control': 'no-store' });
    expect((await startAuthorization(issuer, clientId)).status).toBe(303);
    expect((await startAuthorization(issuer, clientId)).status).toBe(303);
    expect(documents.hits('/apps/nostore/client.json')).toBe(1);
  });

  it('refuse a redirect URI the document does not list', async () => {
    const clientId = publish('/apps/strict/client.json');
    const res = await startAuthorization(issuer, clientId, 'http://127.0.0.1:9999/elsewhere');
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
  });

  it.each<[string, () => string, RegExp]>([
    [
      'a client_id that differs from the URL',
      () => {
        publish('/bad/mismatch.json', { client_id: docUrl('/bad/other.json') });
        return docUrl('/bad/mismatch.json');
      },
      /client_id must be exactly its own URL/,
    ],
    [
      'a shared-secret auth method',
      () => publish('/bad/secret-method.json', { token_endpoint_auth_method: 'client_secret_basic' }),
      /must be none or private_key_jwt/,
    ],
    [
      'a client_secret',
      () => publish('/bad/secret.json', { client_secret: 'hunter2' }),
      /must not contain client_secret/,
    ],
    [
      'bad redirect URIs',
      () => publish('/bad/redirects.json', { redirect_uris: ['javascript:alert(1)'] }),
      /redirect_uris/,
    ],
    [
      'the client_credentials grant',
      () =>
        publish('/bad/machine.json', {
          grant_types: ['client_credentials'],
          response_types: [],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: docUrl('/jwks.json'),
        }),
      /client_credentials is not available/,
    ],
    [
      'a document larger than 5 KB',
      () => publish('/bad/large.json', { client_uri: `https://app.example/${'x'.repeat(6000)}` }),
      /larger than 5120 bytes/,
    ],
    [
      'a redirect instead of the document',
      () => {
        documents.route(
          '/bad/moved.json',
          (_req, res) => void res.writeHead(301, { location: '/elsewhere' }).end(),
        );
        return docUrl('/bad/moved.json');
      },
      /redirects are not followed/,
    ],
    ['a missing document', () => docUrl('/bad/missing.json'), /answered 404/],
    [
      'an HTML page',
      () => {
        documents.route(
          '/bad/page.json',
          (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>'),
        );
        return docUrl('/bad/page.json');
      },
      /not JSON/,
    ],
    ['a URL without a path', () => `https://${TEST_HOST}:${documents.port}/`, /must have a path/],
    ['a URL with dot segments', () => docUrl('/apps/../bad/client.json'), /canonical form/],
    ['a URL with a fragment', () => `${docUrl('/bad/client.json')}#x`, /fragment/],
  ])('refuse %s, on a page and with nothing stored', async (_what, setUp, description) => {
    const clientId = setUp();
    const before = await prisma.oAuthClient.count();
    const res = await startAuthorization(issuer, clientId);
    expect(res.status).toBe(400);
    expect(res.location).toBeNull();
    expect(res.text).toContain('invalid_client');
    expect(res.text.replace(/&#39;/g, "'")).toMatch(description);
    expect(await prisma.oAuthClient.count()).toBe(before);
  });

  it('never fetch from a private address in production settings (SSRF)', async () => {
    const clientId = publish('/apps/ssrf/client.json');
    const res = await startAuthorization(strictIssuer, clientId);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/10\.0\.0\.7 is a private address/);
    expect(documents.hits('/apps/ssrf/client.json')).toBe(0);
  });

  it('let a document name private_key_jwt with a jwks_uri, and then require the assertion', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    documents.route(
      '/apps/keyed/jwks.json',
      json({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }),
    );
    const clientId = publish('/apps/keyed/client.json', {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: docUrl('/apps/keyed/jwks.json'),
    });
    const code = await authorize({
      issuer,
      client: { clientId },
      user,
      resource: `${issuer}/mcp`,
      scope: 'mcp:tools',
    });

    // The public-client form (client_id alone) is refused for this client.
    expect((await redeemCode(issuer, { clientId }, code)).status).toBe(401);

    const clientAssertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(issuer)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);
    const again = await authorize({
      issuer,
      client: { clientId },
      user,
      resource: `${issuer}/mcp`,
      scope: 'mcp:tools',
    });
    const res = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: again.code,
        code_verifier: again.verifier,
        redirect_uri: REDIRECT_URI,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
      }),
    });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string };
    // Introspection is for confidential clients: a key-based document client qualifies, but a
    // public one does not.
    expect((await introspectToken(issuer, { clientId }, tokens.access_token)).status).toBe(401);
    expect((await clientPost(`${issuer}/oauth/introspect`, { clientId }, { token: 'x' })).body.error).toBe(
      'invalid_client',
    );
  });
});
