import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_SCOPE,
  createLogger,
  createPrisma,
  loadPolicy,
  PostgresRevocationStore,
  REVOCATION_MARGIN_SECONDS,
  sha256,
  type PrismaClient,
} from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../test/support/infra.ts';
import { createApp } from './app.ts';

const issuer = 'https://auth.example.test';
const loopback = 'http://127.0.0.1:43117/callback';
/** The operator's initial access token (RFC 7591 §3), needed for client_credentials clients. */
const initialAccessToken = 'operator-initial-access-token-0123456789';

let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let base: string;
/** The same service with no initial access token configured. */
let closedServer: Server;
let closedBase: string;
let revocation: PostgresRevocationStore;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  // Mounted the way the embedded mode mounts it, with a later app behind it.
  const root = express();
  revocation = new PostgresRevocationStore(prisma);
  root.use(
    createApp({
      config: { issuer, accessTokenTtl: 900, initialAccessToken, policy: loadPolicy({ PUBLIC_URL: issuer }) },
      prisma,
      revocation,
      logger: createLogger('registration-test', 'silent'),
    }),
  );
  root.post('/after', (req, res) => {
    res.json({ reached: true, body: req.body ?? null });
  });
  server = root.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  closedServer = createApp({
    config: { issuer, accessTokenTtl: 900, policy: loadPolicy({ PUBLIC_URL: issuer }) },
    prisma,
    revocation,
    logger: createLogger('registration-test', 'silent'),
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => closedServer.once('listening', resolve));
  closedBase = `http://127.0.0.1:${(closedServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await new Promise((resolve) => closedServer?.close(resolve));
  await prisma?.$disconnect();
  await db?.stop();
});

type Json = Record<string, unknown>;

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; contentType?: string; at?: string } = {},
): Promise<{ status: number; headers: Headers; json: Json }> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined || opts.raw !== undefined)
    headers['content-type'] = opts.contentType ?? 'application/json';
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${opts.at ?? base}${path}`, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Json) : {} };
}

const register = (body: unknown, token?: string) => call('POST', '/oauth/register', { body, token });
const clientPath = (id: unknown) => `/oauth/register/${String(id)}`;

/** Every rejected request must leave the table as it was. */
type Answer = { status: number; headers: Headers; json: Json };

async function expectRejected(
  request: Promise<Answer> | (() => Promise<Answer>),
  status: number,
  error: string,
) {
  const before = await prisma.oAuthClient.count();
  const res = await (typeof request === 'function' ? request() : request);
  expect(res.status).toBe(status);
  expect(res.json.error).toBe(error);
  expect(typeof res.json.error_description).toBe('string');
  expect(await prisma.oAuthClient.count()).toBe(before);
  return res;
}

describe('POST /oauth/register (RFC 7591)', () => {
  it('registers a public client: no secret, token stored as a hash', async () => {
    const res = await register({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      client_name: 'Test CLI',
      scope: BASE_SCOPE,
      unknown_field: 'ignored',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = res.json;
    expect(body).toMatchObject({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'Test CLI',
      scope: BASE_SCOPE,
      registration_client_uri: `${issuer}/oauth/register/${String(body.client_id)}`,
    });
    expect(body).not.toHaveProperty('client_secret');
    expect(body).not.toHaveProperty('client_secret_expires_at');
    expect(body).not.toHaveProperty('unknown_field');
    expect(body.client_id_issued_at).toBeCloseTo(Date.now() / 1000, -2);

    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: String(body.client_id) } });
    expect(row.secretHash).toBeNull();
    expect(row.registrationAccessTokenHash).toBe(sha256(String(body.registration_access_token)));
    expect(row.tokenEndpointAuthMethod).toBe('none');
    expect(row.redirectUris).toEqual([loopback]);
    expect(row.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(row.responseTypes).toEqual(['code']);
    expect(row.clientName).toBe('Test CLI');
    expect(row.scope).toBe(BASE_SCOPE);
    expect(row.metadata).not.toHaveProperty('unknown_field');
    expect(JSON.stringify(row)).not.toContain(String(body.registration_access_token));
  });

  it('registers a private_key_jwt client: its keys are kept, and no secret is issued', async () => {
    const jwk = {
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      kid: 'k1',
    };
    const res = await register({
      redirect_uris: ['https://app.example.com/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(res.json).not.toHaveProperty('client_secret');
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: String(res.json.client_id) } });
    expect(row).toMatchObject({
      secretHash: null,
      jwks: { keys: [jwk] },
      jwksUri: null,
      metadataDocument: false,
    });

    // RFC 7592: switching to a jwks_uri replaces the inline keys.
    const updated = await call('PUT', clientPath(res.json.client_id), {
      token: String(res.json.registration_access_token),
      body: {
        client_id: res.json.client_id,
        redirect_uris: ['https://app.example.com/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://app.example.com/jwks.json',
      },
    });
    expect(updated.status).toBe(200);
    const after = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: String(res.json.client_id) } });
    expect(after).toMatchObject({
      jwks: null,
      jwksUri: 'https://app.example.com/jwks.json',
      secretHash: null,
    });
  });

  it('refuses private_key_jwt without keys', async () => {
    await expectRejected(
      register({ redirect_uris: [loopback], token_endpoint_auth_method: 'private_key_jwt' }),
      400,
      'invalid_client_metadata',
    );
  });

  it('registers a confidential client: the secret is returned once and only its hash stored', async () => {
    const res = await register({ redirect_uris: ['https://app.example.com/cb'] });
    expect(res.status).toBe(201);
    expect(res.json.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(typeof res.json.client_secret).toBe('string');
    expect(res.json.client_secret_expires_at).toBe(0);

    const secret = String(res.json.client_secret);
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: String(res.json.client_id) } });
    expect(row.secretHash).toBe(sha256(secret));
    expect(row.secretExpiresAt).toBeNull();
    expect(JSON.stringify(row)).not.toContain(secret);

    const read = await call('GET', clientPath(res.json.client_id), {
      token: String(res.json.registration_access_token),
    });
    expect(read.status).toBe(200);
    expect(read.json).not.toHaveProperty('client_secret');
    expect(read.json.client_secret_expires_at).toBe(0);
  });

  it('registers a client_credentials client without redirect URIs, with the initial access token', async () => {
    const res = await register(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' },
      initialAccessToken,
    );
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    });
    expect(typeof res.json.client_secret).toBe('string');
  });

  describe('client_credentials needs the operator (initial access token, RFC 7591 §3)', () => {
    const machine = {
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: BASE_SCOPE,
    };

    it('refuses it without a bearer token: 401 invalid_token with a Bearer challenge', async () => {
      const res = await expectRejected(register(machine), 401, 'invalid_token');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('refuses it with a wrong bearer token', async () => {
      for (const token of [`${initialAccessToken}x`, initialAccessToken.slice(1), 'short']) {
        const res = await expectRejected(register(machine, token), 401, 'invalid_token');
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      }
      // Nor does a registration access token of another client stand in for it.
      const other = await register({ redirect_uris: [loopback] });
      await expectRejected(
        register(machine, String(other.json.registration_access_token)),
        401,
        'invalid_token',
      );
    });

    it('refuses it alongside authorization_code too', async () => {
      await expectRejected(
        register({ redirect_uris: [loopback], grant_types: ['authorization_code', 'client_credentials'] }),
        401,
        'invalid_token',
      );
    });

    it('refuses it entirely when no initial access token is configured', async () => {
      for (const token of [undefined, initialAccessToken]) {
        const res = await expectRejected(
          call('POST', '/oauth/register', { at: closedBase, body: machine, token }),
          400,
          'invalid_client_metadata',
        );
        expect(res.json.error_description).toMatch(/client_credentials.*initial access token/);
      }
    });

    it('keeps authorization_code registration open, with or without a configured token', async () => {
      for (const at of [base, closedBase]) {
        const res = await call('POST', '/oauth/register', {
          at,
          body: { redirect_uris: [loopback], token_endpoint_auth_method: 'none' },
        });
        expect(res.status).toBe(201);
      }
      // A bearer token on an open registration is not checked.
      expect((await register({ redirect_uris: [loopback] }, 'anything')).status).toBe(201);
    });
  });

  it('rejects a non-loopback http redirect URI', async () => {
    await expectRejected(
      register({ redirect_uris: ['http://app.example.com/cb'] }),
      400,
      'invalid_redirect_uri',
    );
  });

  it('rejects a redirect URI with a fragment', async () => {
    await expectRejected(
      register({ redirect_uris: ['https://app.example.com/cb#x'] }),
      400,
      'invalid_redirect_uri',
    );
  });

  it('rejects a missing redirect_uris as invalid_redirect_uri', async () => {
    await expectRejected(register({ client_name: 'No redirect' }), 400, 'invalid_redirect_uri');
  });

  it('rejects inconsistent grant and response types', async () => {
    await expectRejected(
      register({ redirect_uris: [loopback], grant_types: ['authorization_code'], response_types: [] }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      register({ redirect_uris: [loopback], grant_types: ['client_credentials'], response_types: ['code'] }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      register({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }),
      400,
      'invalid_client_metadata',
    );
  });

  it('rejects an unsupported auth method', async () => {
    await expectRejected(
      register({ redirect_uris: [loopback], token_endpoint_auth_method: 'client_secret_jwt' }),
      400,
      'invalid_client_metadata',
    );
  });

  it('drops scopes the policy does not declare, and answers with what it registered (RFC 7591 §3.2.1)', async () => {
    const trimmed = await register({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      scope: `openid ${BASE_SCOPE} admin`,
    });
    expect(trimmed.status).toBe(201);
    expect(trimmed.json.scope).toBe(BASE_SCOPE);
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: String(trimmed.json.client_id) } });
    expect(row.scope).toBe(BASE_SCOPE);

    const none = await register({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
    });
    expect(none.status).toBe(201);
    expect(none.json).not.toHaveProperty('scope');
  });

  it('rejects malformed JSON as invalid_request', async () => {
    await expectRejected(
      call('POST', '/oauth/register', { raw: '{"redirect_uris": [' }),
      400,
      'invalid_request',
    );
  });

  it('rejects a body that is not application/json', async () => {
    await expectRejected(
      call('POST', '/oauth/register', {
        raw: `redirect_uris=${encodeURIComponent(loopback)}`,
        contentType: 'application/x-www-form-urlencoded',
      }),
      400,
      'invalid_request',
    );
    await expectRejected(call('POST', '/oauth/register'), 400, 'invalid_request');
  });

  it('rejects huge strings before they reach the database', async () => {
    await expectRejected(
      register({ redirect_uris: [loopback], client_name: 'x'.repeat(5000) }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      register({ redirect_uris: [`https://app.example.com/${'x'.repeat(5000)}`] }),
      400,
      'invalid_redirect_uri',
    );
    await expectRejected(
      register({ redirect_uris: [loopback], software_id: 'x'.repeat(40_000) }),
      413,
      'invalid_request',
    );
  });

  it('does not parse or answer paths it does not own', async () => {
    const res = await call('POST', '/after', { body: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ reached: true, body: null });
  });
});

describe('client configuration endpoint (RFC 7592)', () => {
  async function registered(body: Json = { redirect_uris: [loopback], token_endpoint_auth_method: 'none' }) {
    const res = await register(body);
    expect(res.status).toBe(201);
    return {
      id: String(res.json.client_id),
      token: String(res.json.registration_access_token),
      info: res.json,
    };
  }

  async function expectInvalidToken(res: { status: number; headers: Headers; json: Json }) {
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  }

  it('reads the registration with its token', async () => {
    const { id, token, info } = await registered({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      client_name: 'Reader',
    });
    const res = await call('GET', clientPath(id), { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toEqual(info);
  });

  it('answers the same 401 for a wrong token, a missing token and an unknown client', async () => {
    const { id } = await registered();
    const other = await registered();
    const wrong = await call('GET', clientPath(id), { token: other.token });
    await expectInvalidToken(wrong);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const unknown = await call('GET', clientPath('no-such-client'), { token: other.token });
    await expectInvalidToken(unknown);
    expect(unknown.json).toEqual(wrong.json);
    await expectInvalidToken(await call('GET', clientPath(id)));
    await expectInvalidToken(await call('GET', clientPath('x'.repeat(5000)), { token: other.token }));
  });

  it('replaces the metadata on update and removes omitted fields', async () => {
    const { id, token, info } = await registered({
      redirect_uris: [loopback],
      token_endpoint_auth_method: 'none',
      client_name: 'Before',
      logo_uri: 'https://example.com/logo.png',
    });
    const res = await call('PUT', clientPath(id), {
      token,
      body: {
        ...info,
        redirect_uris: ['https://app.example.com/cb', loopback],
        client_name: 'After',
        logo_uri: undefined,
      },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ client_id: id, client_name: 'After', registration_access_token: token });
    expect(res.json).not.toHaveProperty('logo_uri');
    expect(res.json).not.toHaveProperty('client_secret');
    const row = await prisma.oAuthClient.findUniqueOrThrow({ where: { id } });
    expect(row.clientName).toBe('After');
    expect(row.redirectUris).toEqual(['https://app.example.com/cb', loopback]);
    expect(row.metadata).not.toHaveProperty('logo_uri');
  });

  it('issues a secret when a public client becomes confidential, and drops it when it turns public again', async () => {
    const { id, token } = await registered();
    const confidential = await call('PUT', clientPath(id), {
      token,
      body: { client_id: id, redirect_uris: [loopback], token_endpoint_auth_method: 'client_secret_post' },
    });
    expect(confidential.status).toBe(200);
    const secret = String(confidential.json.client_secret);
    expect(secret.length).toBeGreaterThan(20);
    expect(confidential.json.client_secret_expires_at).toBe(0);
    expect((await prisma.oAuthClient.findUniqueOrThrow({ where: { id } })).secretHash).toBe(sha256(secret));

    // Still confidential: the secret is kept, not reissued; sending it back is allowed.
    const again = await call('PUT', clientPath(id), {
      token,
      body: {
        client_id: id,
        client_secret: secret,
        redirect_uris: [loopback],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    });
    expect(again.status).toBe(200);
    expect(again.json).not.toHaveProperty('client_secret');
    expect((await prisma.oAuthClient.findUniqueOrThrow({ where: { id } })).secretHash).toBe(sha256(secret));

    const publicAgain = await call('PUT', clientPath(id), {
      token,
      body: { client_id: id, redirect_uris: [loopback], token_endpoint_auth_method: 'none' },
    });
    expect(publicAgain.status).toBe(200);
    expect((await prisma.oAuthClient.findUniqueOrThrow({ where: { id } })).secretHash).toBeNull();
  });

  it('rejects bad updates and leaves the registration as it was', async () => {
    const { id, token } = await registered({ redirect_uris: [loopback], client_name: 'Stable' });
    const before = await prisma.oAuthClient.findUniqueOrThrow({ where: { id } });
    const valid = { client_id: id, redirect_uris: [loopback], client_name: 'Changed' };

    await expectInvalidToken(await call('PUT', clientPath(id), { token: 'wrong', body: valid }));
    await expectRejected(
      call('PUT', clientPath(id), { token, body: { ...valid, client_id: 'other' } }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      call('PUT', clientPath(id), { token, body: { ...valid, client_id: undefined } }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      call('PUT', clientPath(id), { token, body: { ...valid, client_secret: 'chosen' } }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      call('PUT', clientPath(id), { token, body: { ...valid, registration_access_token: 'new' } }),
      400,
      'invalid_client_metadata',
    );
    await expectRejected(
      call('PUT', clientPath(id), { token, body: { ...valid, redirect_uris: ['http://evil.example/cb'] } }),
      400,
      'invalid_redirect_uri',
    );
    await expectRejected(call('PUT', clientPath(id), { token, raw: '{nope' }), 400, 'invalid_request');

    expect(await prisma.oAuthClient.findUniqueOrThrow({ where: { id } })).toEqual(before);
  });

  it('lets an update keep client_credentials but not add it', async () => {
    const machine = await register(
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
      initialAccessToken,
    );
    expect(machine.status).toBe(201);
    const id = String(machine.json.client_id);
    const kept = await call('PUT', clientPath(id), {
      token: String(machine.json.registration_access_token),
      body: {
        client_id: id,
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
        client_name: 'Renamed',
      },
    });
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ grant_types: ['client_credentials'], client_name: 'Renamed' });

    const { id: openId, token } = await registered({ redirect_uris: [loopback] });
    const before = await prisma.oAuthClient.findUniqueOrThrow({ where: { id: openId } });
    const res = await expectRejected(
      call('PUT', clientPath(openId), {
        token,
        body: {
          client_id: openId,
          redirect_uris: [loopback],
          grant_types: ['authorization_code', 'client_credentials'],
        },
      }),
      400,
      'invalid_client_metadata',
    );
    expect(res.json.error_description).toMatch(/client_credentials.*initial access token/);
    expect(await prisma.oAuthClient.findUniqueOrThrow({ where: { id: openId } })).toEqual(before);
  });

  it('deletes the client and everything granted to it', async () => {
    const { id, token } = await registered();
    const user = await prisma.user.create({ data: { username: `u-${id}`, passwordHash: 'x' } });
    await prisma.consent.create({
      data: {
        userId: user.id,
        clientId: id,
        resource: `${issuer}/mcp`,
        scopes: [BASE_SCOPE],
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    await prisma.refreshToken.create({
      data: {
        tokenHash: sha256(`rt-${id}`),
        familyId: crypto.randomUUID(),
        clientId: id,
        userId: user.id,
        scopes: [BASE_SCOPE],
        resource: `${issuer}/mcp`,
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });

    await expectInvalidToken(await call('DELETE', clientPath(id), { token: 'wrong' }));
    expect(await prisma.oAuthClient.count({ where: { id } })).toBe(1);

    const deletedAt = Date.now();
    const res = await fetch(`${base}${clientPath(id)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(204);
    // Revoked past the last token's expiry by the margin the MCP service's clock tolerance needs.
    const entry = await prisma.revocation.findUniqueOrThrow({
      where: { kind_value: { kind: 'client', value: id } },
    });
    expect(entry.expiresAt.getTime()).toBeGreaterThanOrEqual(
      deletedAt + (900 + REVOCATION_MARGIN_SECONDS) * 1000,
    );
    expect(await res.text()).toBe('');
    expect(await prisma.oAuthClient.count({ where: { id } })).toBe(0);
    expect(await prisma.consent.count({ where: { clientId: id } })).toBe(0);
    expect(await prisma.refreshToken.count({ where: { clientId: id } })).toBe(0);
    // Access tokens it already holds are refused from now on (RFC 7592 §2.3), whatever their grant.
    expect(
      await revocation.isRevoked({
        jti: crypto.randomUUID(),
        sid: crypto.randomUUID(),
        client_id: id,
        sub: crypto.randomUUID(),
        iat: Math.floor(Date.now() / 1000),
      }),
    ).toBe(true);

    await expectInvalidToken(await call('GET', clientPath(id), { token }));
    await expectInvalidToken(await call('DELETE', clientPath(id), { token }));
  });
});
