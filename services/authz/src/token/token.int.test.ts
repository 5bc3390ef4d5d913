import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_ASSERTION_ALGORITHMS,
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  keySet,
  oauthErrorHandler,
  PostgresRevocationStore,
  randomToken,
  sha256,
  signingKeyFromPem,
  verifyAccessToken,
  type PrismaClient,
} from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import type { AuthzConfig } from '../config.ts';
import { createAuthzContext } from '../context.ts';
import type { AuthzDeps } from '../deps.ts';
import { jwksRouter } from '../jwks.ts';
import { metadataRouter } from '../metadata.ts';
import { addTokenEndpoint } from './endpoint.ts';
import { testAuthzConfig } from '../../../../test/support/authz-config.ts';

const ISSUER = 'https://issuer.test';
const RESOURCE = `${ISSUER}/mcp`;
const REDIRECT = 'http://127.0.0.1:7777/callback';
const SECRET = 'confidential-secret-value';

const config: AuthzConfig = testAuthzConfig(ISSUER, RESOURCE);
const signingKey = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');

let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let base: string;
let userId: string;

/** The pieces of createApp this suite owns (the authorization endpoint is tested elsewhere). */
function tokenSideApp(deps: AuthzDeps) {
  const app = express();
  app.use(metadataRouter(deps.config));
  app.use(jwksRouter([deps.signingKey]));
  addTokenEndpoint(app, createAuthzContext(deps));
  app.use(oauthErrorHandler(deps.logger));
  return app;
}

async function addClient(
  id: string,
  method: 'none' | 'client_secret_basic' | 'client_secret_post',
  grantTypes: string[],
  extra: { scope?: string; secretExpiresAt?: Date } = {},
) {
  await prisma.oAuthClient.create({
    data: {
      id,
      tokenEndpointAuthMethod: method,
      secretHash: method === 'none' ? null : sha256(SECRET),
      secretExpiresAt: extra.secretExpiresAt ?? null,
      scope: extra.scope ?? null,
      redirectUris: [REDIRECT],
      grantTypes,
      responseTypes: ['code'],
      metadata: {},
    },
  });
}

/** An authorization code as the authorization endpoint would have stored it. */
async function newCode(
  clientId: string,
  overrides: { expiresAt?: Date; scopes?: string[]; authTime?: Date } = {},
) {
  const code = randomToken();
  const verifier = randomToken(48);
  const familyId = randomUUID();
  await prisma.authorizationCode.create({
    data: {
      codeHash: sha256(code),
      clientId,
      userId,
      redirectUri: REDIRECT,
      scopes: overrides.scopes ?? ['mcp:tools', 'mcp:identity'],
      resource: RESOURCE,
      codeChallenge: sha256(verifier),
      familyId,
      authTime: overrides.authTime ?? null,
      expiresAt: overrides.expiresAt ?? new Date(Date.now() + 60_000),
    },
  });
  return { code, verifier, familyId };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

const redeem = (c: { code: string; verifier: string }, clientId = 'public-client', extra = {}) =>
  token({
    grant_type: 'authorization_code',
    code: c.code,
    code_verifier: c.verifier,
    redirect_uri: REDIRECT,
    client_id: clientId,
    ...extra,
  });

/** A refused code leaves no refresh token of its grant behind (the redemption statement stores one only with the code's checks passed). */
const refreshTokensOf = (familyId: string) => prisma.refreshToken.count({ where: { familyId } });

function expectError(r: { res: Response; body: Record<string, unknown> }, status: number, error: string) {
  expect({ status: r.res.status, error: r.body.error }).toEqual({ status, error });
  expect(typeof r.body.error_description).toBe('string');
  expect(r.res.headers.get('cache-control')).toBe('no-store');
}

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url);
  const user = await prisma.user.create({ data: { username: 'alice', passwordHash: 'unused' } });
  userId = user.id;
  await addClient('public-client', 'none', ['authorization_code', 'refresh_token']);
  await addClient('public-no-refresh', 'none', ['authorization_code']);
  await addClient('public-cc', 'none', ['authorization_code', 'client_credentials']);
  await addClient('conf-basic', 'client_secret_basic', [
    'authorization_code',
    'refresh_token',
    'client_credentials',
  ]);
  await addClient('conf-post', 'client_secret_post', ['authorization_code', 'client_credentials'], {
    scope: 'mcp:tools',
  });
  await addClient('conf-wide', 'client_secret_basic', ['client_credentials'], {
    scope: 'mcp:tools mcp:identity',
  });
  await addClient('conf-expired', 'client_secret_basic', ['client_credentials'], {
    secretExpiresAt: new Date(Date.now() - 1000),
  });
  const deps: AuthzDeps = {
    config,
    prisma,
    signingKey,
    logger: createLogger('authz-test', 'silent'),
    revocation: new PostgresRevocationStore(prisma),
  };
  server = tokenSideApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await prisma?.$disconnect();
  await db?.stop();
});

describe('authorization_code grant', () => {
  it('issues an RFC 9068 access token and a refresh token stored only as a hash', async () => {
    const c = await newCode('public-client');
    const { res, body } = await redeem(c);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'mcp:tools mcp:identity' });

    const decoded = jwt.decode(body.access_token as string, { complete: true });
    expect(decoded?.header).toMatchObject({ typ: 'at+jwt', alg: 'RS256', kid: signingKey.kid });
    const claims = verifyAccessToken(body.access_token as string, keySet([signingKey]), {
      issuer: ISSUER,
      audience: RESOURCE,
    });
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: RESOURCE,
      sub: userId,
      client_id: 'public-client',
      scope: 'mcp:tools mcp:identity',
      sid: c.familyId,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp - claims.iat).toBe(900);

    const refresh = body.refresh_token as string;
    expect(refresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refresh) } });
    expect(stored).toMatchObject({
      familyId: c.familyId,
      clientId: 'public-client',
      userId,
      resource: RESOURCE,
    });
    expect(await prisma.refreshToken.count({ where: { tokenHash: refresh } })).toBe(0);
    const code = await prisma.authorizationCode.findUnique({ where: { codeHash: sha256(c.code) } });
    expect(code?.usedAt).not.toBeNull();
  });

  it('issues no refresh token to a client without the refresh_token grant', async () => {
    const { res, body } = await redeem(await newCode('public-no-refresh'), 'public-no-refresh');
    expect(res.status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
  });

  it('authenticates confidential clients by Basic and by client_secret_post', async () => {
    const viaBasic = await token(
      {
        grant_type: 'authorization_code',
        ...(await newCode('conf-basic').then((c) => ({ code: c.code, code_verifier: c.verifier }))),
        redirect_uri: REDIRECT,
      },
      { authorization: basic('conf-basic', SECRET) },
    );
    expect(viaBasic.res.status).toBe(200);
    const viaPost = await redeem(await newCode('conf-post'), 'conf-post', { client_secret: SECRET });
    expect(viaPost.res.status).toBe(200);
  });

  it('refuses a wrong PKCE verifier, and the code is spent afterwards', async () => {
    const c = await newCode('public-client');
    expectError(await redeem({ ...c, verifier: randomToken(48) }), 400, 'invalid_grant');
    expectError(await redeem(c), 400, 'invalid_grant');
    expect(await refreshTokensOf(c.familyId)).toBe(0);
  });

  it('refuses a malformed verifier', async () => {
    const c = await newCode('public-client');
    expectError(await redeem({ ...c, verifier: 'short' }), 400, 'invalid_grant');
    expect(await refreshTokensOf(c.familyId)).toBe(0);
  });

  it('refuses a reused code and revokes the refresh token it issued', async () => {
    const c = await newCode('public-client');
    const first = await redeem(c);
    expect(first.res.status).toBe(200);
    expectError(await redeem(c), 400, 'invalid_grant');
    const stored = await prisma.refreshToken.findUnique({
      where: { tokenHash: sha256(first.body.refresh_token as string) },
    });
    expect(stored?.revokedAt).not.toBeNull();
    // And every access token of the grant, the first redemption's included, by its sid.
    const sid = await prisma.revocation.findUnique({
      where: { kind_value: { kind: 'sid', value: c.familyId } },
    });
    expect(sid?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 900_000);
    expectError(
      await token({
        grant_type: 'refresh_token',
        refresh_token: first.body.refresh_token as string,
        client_id: 'public-client',
      }),
      400,
      'invalid_grant',
    );
  });

  it('refuses a redirect_uri that differs from the authorization request', async () => {
    const c = await newCode('public-client');
    expectError(
      await redeem(c, 'public-client', { redirect_uri: 'http://127.0.0.1:7778/callback' }),
      400,
      'invalid_grant',
    );
    expect(await refreshTokensOf(c.familyId)).toBe(0);
  });

  it('accepts no redirect_uri when the client registered exactly one (RFC 6749 §4.1.3)', async () => {
    const c = await newCode('public-client');
    const r = await token({
      grant_type: 'authorization_code',
      code: c.code,
      code_verifier: c.verifier,
      client_id: 'public-client',
    });
    expect(r.res.status).toBe(200);
  });

  it('accepts the resource in another spelling of the same URL (RFC 8707)', async () => {
    const c = await newCode('public-client');
    const upper = RESOURCE.replace('https://issuer.test', 'HTTPS://ISSUER.test');
    const r = await redeem(c, 'public-client', { resource: upper });
    expect(r.res.status).toBe(200);
    // Stored with the code's resource as the code has it.
    const stored = await prisma.refreshToken.findUnique({
      where: { tokenHash: sha256(r.body.refresh_token as string) },
    });
    expect(stored).toMatchObject({ clientId: 'public-client', resource: RESOURCE, revokedAt: null });
  });

  it('refuses an expired code', async () => {
    const c = await newCode('public-client', { expiresAt: new Date(Date.now() - 1000) });
    expectError(await redeem(c), 400, 'invalid_grant');
    expect(await refreshTokensOf(c.familyId)).toBe(0);
  });

  it('refuses an unknown code', async () => {
    expectError(await redeem({ code: randomToken(), verifier: randomToken(48) }), 400, 'invalid_grant');
  });

  it("refuses another client's code, without burning it for its owner", async () => {
    const c = await newCode('public-client');
    expectError(await redeem(c, 'public-no-refresh'), 400, 'invalid_grant');
    expectError(await redeem(c, 'public-no-refresh'), 400, 'invalid_grant');
    expect((await redeem(c, 'public-client')).res.status).toBe(200);
  });

  it('checks resource against the authorization request (RFC 8707)', async () => {
    const c = await newCode('public-client');
    expectError(
      await redeem(c, 'public-client', { resource: 'http://other.test/mcp' }),
      400,
      'invalid_target',
    );
    // The statement stored one (it does not compare resources); the refusal discarded it.
    expect(await refreshTokensOf(c.familyId)).toBe(0);
    const ok = await redeem(await newCode('public-client'), 'public-client', { resource: RESOURCE });
    expect(ok.res.status).toBe(200);
  });

  it('requires code_verifier', async () => {
    const c = await newCode('public-client');
    const r = await token({
      grant_type: 'authorization_code',
      code: c.code,
      redirect_uri: REDIRECT,
      client_id: 'public-client',
    });
    expectError(r, 400, 'invalid_request');
    expect(r.body.error_description).toMatch(/code_verifier/);
  });

  it('lets exactly one of 10 concurrent redemptions of one code succeed', async () => {
    const c = await newCode('public-client');
    const results = await Promise.all(Array.from({ length: 10 }, () => redeem(c)));
    const statuses = results.map((r) => r.res.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(400)]);
    for (const r of results.filter((x) => x.res.status !== 200)) expect(r.body.error).toBe('invalid_grant');
    // The losers are replays: what the winner got is withdrawn (its refresh token, and its access
    // token through the grant's sid), whichever of them read the code before it was spent.
    const winner = results.find((r) => r.res.status === 200)!;
    const stored = await prisma.refreshToken.findUnique({
      where: { tokenHash: sha256(winner.body.refresh_token as string) },
    });
    expect(stored?.revokedAt).not.toBeNull();
    expect(
      await prisma.revocation.findUnique({ where: { kind_value: { kind: 'sid', value: c.familyId } } }),
    ).not.toBeNull();
  });

  it('a refused redemption racing a good one is a replay too: the good one is withdrawn', async () => {
    const c = await newCode('public-client');
    const [good, ...wrong] = await Promise.all([
      redeem(c),
      ...Array.from({ length: 5 }, () => redeem({ ...c, verifier: 'x'.repeat(43) })),
    ]);
    for (const r of wrong) expect(r.body.error).toBe('invalid_grant');
    if (good!.res.status === 200) {
      const stored = await prisma.refreshToken.findUnique({
        where: { tokenHash: sha256(good!.body.refresh_token as string) },
      });
      expect(stored?.revokedAt).not.toBeNull();
    } else {
      // A wrong verifier spent the code first: the right one then finds it spent.
      expect(good!.body.error).toBe('invalid_grant');
    }
  });
});

describe('client authentication', () => {
  it('refuses an unknown client with 401 invalid_client', async () => {
    const c = await newCode('public-client');
    const r = await redeem(c, 'no-such-client');
    expectError(r, 401, 'invalid_client');
    expect(r.res.headers.get('www-authenticate')).toBeNull();
    const viaBasic = await token(
      { grant_type: 'client_credentials' },
      { authorization: basic('nobody', 'x') },
    );
    expectError(viaBasic, 401, 'invalid_client');
    expect(viaBasic.res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('refuses a wrong secret with a Basic challenge when Basic was used', async () => {
    const r = await token(
      { grant_type: 'client_credentials' },
      { authorization: basic('conf-basic', 'wrong') },
    );
    expectError(r, 401, 'invalid_client');
    expect(r.res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const post = await token({
      grant_type: 'client_credentials',
      client_id: 'conf-post',
      client_secret: 'x',
    });
    expectError(post, 401, 'invalid_client');
    expect(post.res.headers.get('www-authenticate')).toBeNull();
  });

  it('refuses a method other than the registered one', async () => {
    // A confidential client presenting no secret must not pass as public.
    expectError(
      await token({ grant_type: 'client_credentials', client_id: 'conf-basic' }),
      401,
      'invalid_client',
    );
    expectError(
      await token({ grant_type: 'client_credentials', client_id: 'conf-basic', client_secret: SECRET }),
      401,
      'invalid_client',
    );
  });

  it('refuses two methods in one request', async () => {
    expectError(
      await token(
        { grant_type: 'client_credentials', client_secret: SECRET },
        { authorization: basic('conf-basic', SECRET) },
      ),
      400,
      'invalid_request',
    );
  });

  it('refuses an expired secret', async () => {
    expectError(
      await token({ grant_type: 'client_credentials' }, { authorization: basic('conf-expired', SECRET) }),
      401,
      'invalid_client',
    );
  });

  it('refuses a malformed Basic header', async () => {
    const r = await token({ grant_type: 'client_credentials' }, { authorization: 'Basic %%%' });
    expectError(r, 401, 'invalid_client');
    expect(r.res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });
});

describe('token endpoint request validation', () => {
  it('refuses a JSON body', async () => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expectError({ res, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request');
  });

  it('refuses a request without a body', async () => {
    const res = await fetch(`${base}/oauth/token`, { method: 'POST' });
    expectError({ res, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request');
  });

  it('refuses an oversized body', async () => {
    const r = await token({ grant_type: 'client_credentials', padding: 'x'.repeat(20_000) });
    expectError(r, 413, 'invalid_request');
  });

  it('refuses a repeated parameter', async () => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=a&client_id=b',
    });
    expectError({ res, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request');
  });

  it('requires grant_type', async () => {
    expectError(await token({ client_id: 'public-client' }), 400, 'invalid_request');
  });

  it('refuses an unknown grant_type', async () => {
    expectError(
      await token({ grant_type: 'password', client_id: 'public-client' }),
      400,
      'unsupported_grant_type',
    );
    expectError(
      await token({ grant_type: 'constructor', client_id: 'public-client' }),
      400,
      'unsupported_grant_type',
    );
  });

  it('refuses a grant the client is not registered for', async () => {
    expectError(
      await token({ grant_type: 'client_credentials', client_id: 'public-client' }),
      400,
      'unauthorized_client',
    );
  });

  it('answers a CORS preflight', async () => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('client_credentials grant', () => {
  it('issues a token for the client itself, without refresh token', async () => {
    const { res, body } = await token(
      { grant_type: 'client_credentials' },
      { authorization: basic('conf-basic', SECRET) },
    );
    expect(res.status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    expect(body.scope).toBe('mcp:tools');
    const claims = verifyAccessToken(body.access_token as string, keySet([signingKey]), {
      issuer: ISSUER,
      audience: RESOURCE,
    });
    expect(claims).toMatchObject({ sub: 'conf-basic', client_id: 'conf-basic', scope: 'mcp:tools' });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('grants a requested registered scope and refuses others', async () => {
    const auth = { authorization: basic('conf-wide', SECRET) };
    const ok = await token({ grant_type: 'client_credentials', scope: 'mcp:identity' }, auth);
    expect(ok.body.scope).toBe('mcp:identity');
    const both = await token({ grant_type: 'client_credentials', scope: 'mcp:tools mcp:identity' }, auth);
    expect(both.body.scope).toBe('mcp:tools mcp:identity');
    expectError(
      await token({ grant_type: 'client_credentials', scope: 'admin' }, auth),
      400,
      'invalid_scope',
    );
    // conf-post registered only mcp:tools.
    expectError(
      await token({
        grant_type: 'client_credentials',
        scope: 'mcp:identity',
        client_id: 'conf-post',
        client_secret: SECRET,
      }),
      400,
      'invalid_scope',
    );
  });

  it('limits a client that registered no scope to the base scope', async () => {
    // No person consents to this grant: an unregistered scope must not mean "anything".
    const auth = { authorization: basic('conf-basic', SECRET) };
    const base = await token({ grant_type: 'client_credentials', scope: 'mcp:tools' }, auth);
    expect(base.res.status).toBe(200);
    expect(base.body.scope).toBe('mcp:tools');
    for (const scope of ['mcp:identity', 'mcp:tools mcp:identity']) {
      expectError(await token({ grant_type: 'client_credentials', scope }, auth), 400, 'invalid_scope');
    }
  });

  it('refuses another resource', async () => {
    expectError(
      await token(
        { grant_type: 'client_credentials', resource: 'http://other.test/mcp' },
        { authorization: basic('conf-basic', SECRET) },
      ),
      400,
      'invalid_target',
    );
  });

  it('refuses a public client even when registered for the grant', async () => {
    expectError(
      await token({ grant_type: 'client_credentials', client_id: 'public-cc' }),
      400,
      'unauthorized_client',
    );
  });
});

describe('refresh_token grant', () => {
  async function grant() {
    const c = await newCode('public-client');
    const { body } = await redeem(c);
    return { refresh: body.refresh_token as string, familyId: c.familyId };
  }
  const refresh = (token_: string, extra: Record<string, string> = {}) =>
    token({ grant_type: 'refresh_token', refresh_token: token_, client_id: 'public-client', ...extra });

  it('rotates: a new refresh token each time, the old one retired', async () => {
    const g = await grant();
    const r = await refresh(g.refresh);
    expect(r.res.status).toBe(200);
    expect(r.body.refresh_token).not.toBe(g.refresh);
    const claims = verifyAccessToken(r.body.access_token as string, keySet([signingKey]), {
      issuer: ISSUER,
      audience: RESOURCE,
    });
    expect(claims.sid).toBe(g.familyId);
    const old = await prisma.refreshToken.findUnique({ where: { tokenHash: sha256(g.refresh) } });
    const next = await prisma.refreshToken.findUnique({
      where: { tokenHash: sha256(r.body.refresh_token as string) },
    });
    expect(old?.rotatedAt).not.toBeNull();
    expect(old?.replacedById).toBe(next?.id);
    expect((await refresh(r.body.refresh_token as string)).res.status).toBe(200);
  });

  it('carries the login time (auth_time) from the code to every access token of the grant', async () => {
    const authTime = new Date('2026-12-01T10:00:00.000Z');
    const c = await newCode('public-client', { authTime });
    const verify = (t: unknown) =>
      verifyAccessToken(t as string, keySet([signingKey]), { issuer: ISSUER, audience: RESOURCE });
    const first = await redeem(c);
    expect(verify(first.body.access_token).auth_time).toBe(authTime.getTime() / 1000);
    const next = await refresh(first.body.refresh_token as string);
    expect(verify(next.body.access_token).auth_time).toBe(authTime.getTime() / 1000);
    const again = await refresh(next.body.refresh_token as string);
    expect(verify(again.body.access_token).auth_time).toBe(authTime.getTime() / 1000);
    // A grant without a known login time has no claim rather than a made-up one.
    const plain = await redeem(await newCode('public-client'));
    expect(verify(plain.body.access_token)).not.toHaveProperty('auth_time');
  });

  it("slides expiry on rotation, never past the grant's absolute end (REFRESH_TOKEN_MAX_LIFETIME)", async () => {
    const g = await grant();
    const first = await prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(g.refresh) } });
    const week = 7 * 24 * 3600 * 1000;
    expect(first.familyExpiresAt!.getTime() - first.createdAt.getTime()).toBeGreaterThan(week - 5000);
    // The grant is about to reach its end: the successor expires with it, not an hour later.
    const end = new Date(Date.now() + 10_000);
    await prisma.refreshToken.update({ where: { id: first.id }, data: { familyExpiresAt: end } });
    const r = await refresh(g.refresh);
    expect(r.res.status).toBe(200);
    const next = await prisma.refreshToken.findUniqueOrThrow({
      where: { tokenHash: sha256(r.body.refresh_token as string) },
    });
    expect(next.expiresAt.getTime()).toBe(end.getTime());
    expect(next.familyExpiresAt?.getTime()).toBe(end.getTime());
  });

  it('revokes the family when a rotated token is used again', async () => {
    const g = await grant();
    const next = (await refresh(g.refresh)).body.refresh_token as string;
    expectError(await refresh(g.refresh), 400, 'invalid_grant');
    expectError(await refresh(next), 400, 'invalid_grant');
    expect(await prisma.refreshToken.count({ where: { familyId: g.familyId, revokedAt: null } })).toBe(0);
    expect(await prisma.revocation.count({ where: { kind: 'sid', value: g.familyId } })).toBe(1);
  });

  it('spends no token on a refused scope, but catches reuse whatever the request asks', async () => {
    const g = await grant();
    expectError(await refresh(g.refresh, { scope: 'mcp:admin' }), 400, 'invalid_scope');
    const next = await refresh(g.refresh);
    expect(next.res.status).toBe(200);
    expectError(await refresh(g.refresh, { scope: 'mcp:admin' }), 400, 'invalid_grant');
    expect(await prisma.revocation.count({ where: { kind: 'sid', value: g.familyId } })).toBe(1);
  });

  it('narrows scope but never widens it', async () => {
    const g = await grant();
    const narrow = await refresh(g.refresh, { scope: 'mcp:tools' });
    expect(narrow.body.scope).toBe('mcp:tools');
    // The successor still carries the full grant.
    const full = await refresh(narrow.body.refresh_token as string);
    expect(full.body.scope).toBe('mcp:tools mcp:identity');
    expectError(
      await refresh(full.body.refresh_token as string, { scope: 'mcp:admin' }),
      400,
      'invalid_scope',
    );
  });

  it('keeps the resource', async () => {
    const g = await grant();
    expectError(await refresh(g.refresh, { resource: 'http://other.test/mcp' }), 400, 'invalid_target');
  });

  it("refuses another client's refresh token", async () => {
    const g = await grant();
    expectError(
      await token(
        { grant_type: 'refresh_token', refresh_token: g.refresh },
        { authorization: basic('conf-basic', SECRET) },
      ),
      400,
      'invalid_grant',
    );
  });

  it('lets exactly one of concurrent uses of one refresh token succeed', async () => {
    const g = await grant();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(g.refresh)));
    expect(results.filter((r) => r.res.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.res.status !== 200)) expect(r.body.error).toBe('invalid_grant');
  });
});

describe('metadata and keys', () => {
  const ASSERTION_ALGS: string[] = [...CLIENT_ASSERTION_ALGORITHMS];

  it('publishes RFC 8414 metadata', async () => {
    const res = await fetch(`${base}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const m = (await res.json()) as Record<string, unknown>;
    expect(m).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      registration_endpoint: `${ISSUER}/oauth/register`,
      jwks_uri: `${ISSUER}/oauth/jwks.json`,
      scopes_supported: ['mcp:tools', 'mcp:identity'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: [
        'none',
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: [
        'none',
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    // Asymmetric algorithms only: never none, never a shared-secret HMAC.
    expect(ASSERTION_ALGS.some((alg) => alg === 'none' || alg.startsWith('HS'))).toBe(false);
  });

  it('does not serve an OpenID configuration', async () => {
    expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('publishes the public signing key only', async () => {
    const res = await fetch(`${base}/oauth/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: signingKey.kid, alg: 'RS256', use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys[0]).not.toHaveProperty(member);
  });
});
