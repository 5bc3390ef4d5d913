import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuardedFetcher,
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  PostgresRevocationStore,
  signingKeyFromPem,
  type PrismaClient,
} from '@mcp-auth/core';
import { testAuthzConfig } from '../../../../test/support/authz-config.ts';
import {
  json,
  selfSignedCertificate,
  startDocumentServer,
  type DocumentServer,
  type TestCertificate,
} from '../../../../test/support/https-server.ts';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { createApp } from '../app.ts';
import { JWT_BEARER_ASSERTION_TYPE } from './client-assertion.ts';

/**
 * private_key_jwt (RFC 7523 §2.2, §3) at the token, revocation and introspection endpoints, with
 * keys registered inline and by jwks_uri (served over https on loopback, trusted through an
 * injected CA).
 */

let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let issuer: string;
let certificate: TestCertificate;
let documents: DocumentServer;

const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' });

const INLINE = 'pkjwt-inline';
const BY_URI = 'pkjwt-by-uri';

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  certificate = await selfSignedCertificate();
  documents = await startDocumentServer(certificate);
  documents.route('/jwks.json', json({ keys: [publicJwk(rsa.publicKey, 'rsa-1')] }));

  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = createApp({
    config: testAuthzConfig(issuer),
    prisma,
    signingKey: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
    logger: createLogger('pkjwt-test', 'silent'),
    revocation: new PostgresRevocationStore(prisma),
    outbound: createGuardedFetcher({ allowPrivateNetwork: true, ca: [certificate.cert] }),
  });
  server.on('request', app);

  const common = {
    tokenEndpointAuthMethod: 'private_key_jwt',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    responseTypes: [],
    scope: 'mcp:tools',
    metadata: {},
  };
  await prisma.oAuthClient.create({
    data: { ...common, id: INLINE, jwks: { keys: [publicJwk(es.publicKey, 'es-1')] } },
  });
  await prisma.oAuthClient.create({
    data: { ...common, id: BY_URI, jwksUri: `${documents.origin}/jwks.json` },
  });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await documents?.close();
  await certificate?.remove();
  await prisma?.$disconnect();
  await db?.stop();
});

interface AssertionOptions {
  clientId?: string;
  key?: KeyObject;
  alg?: string;
  kid?: string;
  claims?: Record<string, unknown>;
}

const now = () => Math.floor(Date.now() / 1000);

/** A client assertion as RFC 7523 §3 describes it, with any claim overridden. */
async function assertion(opts: AssertionOptions = {}): Promise<string> {
  const clientId = opts.clientId ?? INLINE;
  const claims = {
    iss: clientId,
    sub: clientId,
    aud: `${issuer}/oauth/token`,
    jti: randomUUID(),
    iat: now(),
    exp: now() + 120,
    ...opts.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: opts.kid ?? 'es-1' })
    .sign(opts.key ?? es.privateKey);
}

/** An unsigned or HMAC-signed JWT, which jose refuses to produce with asymmetric keys. */
function handMade(alg: 'none' | 'HS256', secret = 'shared'): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { iss: INLINE, sub: INLINE, aud: issuer, jti: randomUUID(), exp: now() + 60 };
  const input = `${b64({ alg, kid: 'es-1' })}.${b64(claims)}`;
  const signature = alg === 'none' ? '' : createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

async function post(path: string, form: Record<string, string>) {
  const res = await fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const tokenRequest = (clientAssertion: string, extra: Record<string, string> = {}) =>
  post('/oauth/token', {
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: clientAssertion,
    ...extra,
  });

async function expectRefused(
  clientAssertion: string,
  description: RegExp,
  extra: Record<string, string> = {},
) {
  const res = await tokenRequest(clientAssertion, extra);
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  expect(String(res.body.error_description)).toMatch(description);
}

describe('private_key_jwt at the token endpoint', () => {
  it('issues a token for a valid assertion (inline jwks, aud = token endpoint)', async () => {
    const res = await tokenRequest(await assertion());
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(typeof res.body.access_token).toBe('string');
  });

  it('accepts the issuer as aud, and a matching client_id beside the assertion', async () => {
    const res = await tokenRequest(await assertion({ claims: { aud: issuer } }), { client_id: INLINE });
    expect(res.status).toBe(200);
  });

  it('refuses a replayed assertion (same jti), and records the jti until the assertion expires', async () => {
    const once = await assertion();
    expect((await tokenRequest(once)).status).toBe(200);
    await expectRefused(once, /jti already used/);
    // Another assertion with the same jti is a replay too, even freshly signed.
    const [, payload] = once.split('.');
    const { jti, exp } = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as {
      jti: string;
      exp: number;
    };
    await expectRefused(await assertion({ claims: { jti } }), /jti already used/);
    const row = await prisma.clientAssertion.findUniqueOrThrow({
      where: { clientId_jti: { clientId: INLINE, jti } },
    });
    expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(exp * 1000);
  });

  it('refuses the wrong audience', async () => {
    await expectRefused(await assertion({ claims: { aud: 'https://other.example/oauth/token' } }), /aud/);
    await expectRefused(await assertion({ claims: { aud: `${issuer}/oauth/revoke` } }), /aud/);
  });

  it('refuses an expired assertion, one without exp, and one that expires too far ahead', async () => {
    await expectRefused(await assertion({ claims: { exp: now() - 120, iat: now() - 300 } }), /exp/);
    await expectRefused(await assertion({ claims: { exp: undefined } }), /exp/);
    await expectRefused(
      await assertion({ claims: { exp: now() + 3600 } }),
      /exp must be at most 600 seconds/,
    );
  });

  it('refuses alg none and HS256, whatever the key', async () => {
    await expectRefused(handMade('none'), /alg "none" is not accepted/);
    await expectRefused(handMade('HS256'), /alg "HS256" is not accepted/);
    // The classic confusion: the public key itself used as the HMAC secret.
    await expectRefused(handMade('HS256', JSON.stringify(publicJwk(es.publicKey, 'es-1'))), /HS256/);
  });

  it('refuses a signature by a key the client did not register', async () => {
    await expectRefused(await assertion({ key: other.privateKey }), /bad signature/);
    await expectRefused(await assertion({ key: other.privateKey, kid: 'unknown' }), /no registered key/);
  });

  it('refuses iss or sub other than the client, and a client_id that differs', async () => {
    await expectRefused(await assertion({ claims: { iss: 'someone-else' } }), /iss/);
    await expectRefused(await assertion(), /does not match/, { client_id: BY_URI });
  });

  it('refuses an assertion without jti', async () => {
    await expectRefused(await assertion({ claims: { jti: undefined } }), /jti/);
  });

  it('refuses a client registered for private_key_jwt that sends no assertion', async () => {
    const res = await post('/oauth/token', { grant_type: 'client_credentials', client_id: INLINE });
    expect(res.status).toBe(401);
    expect(res.body.error_description).toMatch(/must authenticate with private_key_jwt/);
  });

  it('refuses half an assertion, an unknown assertion type, and an assertion with a secret', async () => {
    const a = await assertion();
    expect(
      (await post('/oauth/token', { grant_type: 'client_credentials', client_assertion: a })).body.error,
    ).toBe('invalid_request');
    const wrongType = await post('/oauth/token', {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:example:saml',
      client_assertion: a,
    });
    expect(wrongType.body.error).toBe('invalid_client');
    expect((await tokenRequest(a, { client_secret: 'x' })).body.error).toBe('invalid_request');
    expect((await tokenRequest('not.a.jwt')).body.error).toBe('invalid_client');
  });
});

describe('private_key_jwt with jwks_uri', () => {
  it('caches the fetched keys; an unknown kid does not refetch a copy under a minute old', async () => {
    const sign = (key: KeyObject, kid: string) =>
      assertion({ clientId: BY_URI, key, alg: kid.startsWith('rsa') ? 'RS256' : 'ES256', kid });
    expect((await tokenRequest(await sign(rsa.privateKey, 'rsa-1'))).status).toBe(200);
    expect((await tokenRequest(await sign(rsa.privateKey, 'rsa-1'))).status).toBe(200);
    expect(documents.hits('/jwks.json')).toBe(1);

    // The client rotates: the new key is not in our copy, which is fresh but under a minute old,
    // so it is not refetched yet and the assertion is refused.
    const rotated = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    documents.route(
      '/jwks.json',
      json({ keys: [publicJwk(rsa.publicKey, 'rsa-1'), publicJwk(rotated.publicKey, 'es-2')] }),
    );
    await expectRefused(await sign(rotated.privateKey, 'es-2'), /no registered key/);
    expect(documents.hits('/jwks.json')).toBe(1);
  });
});

describe('private_key_jwt at the revocation and introspection endpoints', () => {
  it('authenticates both with an assertion (aud = issuer)', async () => {
    const issued = await tokenRequest(await assertion());
    const token = String(issued.body.access_token);
    const form = async () => ({
      token,
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: await assertion({ claims: { aud: issuer } }),
    });
    const active = await post('/oauth/introspect', await form());
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, client_id: INLINE });
    expect((await post('/oauth/revoke', await form())).status).toBe(200);
    expect((await post('/oauth/introspect', await form())).body).toEqual({ active: false });
  });

  it('refuses an introspection whose assertion is bad', async () => {
    const res = await post('/oauth/introspect', {
      token: 'x',
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: handMade('none'),
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});
