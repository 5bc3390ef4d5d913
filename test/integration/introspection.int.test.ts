import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken, keySet } from '@mcp-auth/core';
import {
  addClient,
  addUser,
  clientPost,
  introspectToken,
  obtainTokens,
  refreshTokens,
  revokeToken,
  tokenSetOf,
  type ClientCredentials,
  type HttpResult,
  type TokenSet,
  type User,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from './token-stack.ts';

let stack: TokenStack;
let alice: User;
let aliceId: string;
const cli: ClientCredentials = { clientId: 'cli' };
const service: ClientCredentials = { clientId: 'service', secret: 'service-secret-value' };
const other: ClientCredentials = { clientId: 'other', secret: 'other-secret-value' };

beforeAll(async () => {
  stack = await startTokenStack();
  await addClient(stack.prisma, cli);
  await addClient(stack.prisma, service);
  await addClient(stack.prisma, other);
  alice = await addUser(stack.prisma, 'alice');
  aliceId = (await stack.prisma.user.findUniqueOrThrow({ where: { username: 'alice' } })).id;
});

afterAll(async () => {
  await stack?.close();
});

const tokensFor = (client: ClientCredentials, scope = 'mcp:tools') =>
  obtainTokens({ issuer: stack.issuer, client, user: alice, resource: stack.resource, scope });

function expectInactive(r: HttpResult) {
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ active: false });
  expect(r.headers.get('cache-control')).toBe('no-store');
}

const claimsOf = (t: TokenSet) =>
  verifyAccessToken(t.accessToken, keySet([stack.signingKey]), {
    issuer: stack.issuer,
    audience: stack.resource,
  });

describe('POST /oauth/introspect', () => {
  it('describes an active access token to the client it was issued to', async () => {
    const tokens = await tokensFor(service, 'mcp:tools mcp:identity');
    const r = await introspectToken(stack.issuer, service, tokens.accessToken);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const claims = claimsOf(tokens);
    expect(r.body).toEqual({
      active: true,
      scope: 'mcp:tools mcp:identity',
      client_id: 'service',
      sub: aliceId,
      aud: stack.resource,
      iss: stack.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    });
  });

  it('describes an active refresh token, and a rotated one as inactive', async () => {
    const tokens = await tokensFor(service);
    const r = await introspectToken(stack.issuer, service, tokens.refreshToken!, {
      token_type_hint: 'refresh_token',
    });
    expect(r.body).toMatchObject({
      active: true,
      scope: 'mcp:tools',
      client_id: 'service',
      sub: aliceId,
      token_type: 'refresh_token',
    });
    expect(r.body.exp).toBeGreaterThan(Date.now() / 1000 + 3000);
    expect(typeof r.body.iat).toBe('number');

    tokenSetOf(await refreshTokens(stack.issuer, service, tokens.refreshToken!));
    expectInactive(await introspectToken(stack.issuer, service, tokens.refreshToken!));
  });

  it('reports an expired access token as inactive', async () => {
    const active = claimsOf(await tokensFor(service));
    const { token: expired } = signAccessToken(stack.signingKey, {
      issuer: stack.issuer,
      subject: active.sub,
      audience: stack.resource,
      clientId: 'service',
      scopes: ['mcp:tools'],
      sid: active.sid,
      ttlSeconds: 60,
      now: Date.now() - 120_000,
    });
    expectInactive(await introspectToken(stack.issuer, service, expired));
  });

  it('reports revoked tokens as inactive: by jti, and by family', async () => {
    const byJti = await tokensFor(service);
    expect((await revokeToken(stack.issuer, service, byJti.accessToken)).status).toBe(200);
    expectInactive(await introspectToken(stack.issuer, service, byJti.accessToken));
    // The refresh token of that grant is untouched.
    expect((await introspectToken(stack.issuer, service, byJti.refreshToken!)).body.active).toBe(true);

    const byFamily = await tokensFor(service);
    expect((await revokeToken(stack.issuer, service, byFamily.refreshToken!)).status).toBe(200);
    expectInactive(await introspectToken(stack.issuer, service, byFamily.accessToken));
    expectInactive(await introspectToken(stack.issuer, service, byFamily.refreshToken!));
  });

  it("reports another client's tokens as inactive", async () => {
    const theirs = await tokensFor(service);
    expectInactive(await introspectToken(stack.issuer, other, theirs.accessToken));
    expectInactive(await introspectToken(stack.issuer, other, theirs.refreshToken!));
    // Still active for their owner.
    expect((await introspectToken(stack.issuer, service, theirs.accessToken)).body.active).toBe(true);
  });

  it('is for confidential clients only: a public client_id proves nothing (RFC 7662 §2.1)', async () => {
    const tokens = await tokensFor(cli);
    const r = await introspectToken(stack.issuer, cli, tokens.refreshToken!);
    expect({ status: r.status, error: r.body.error }).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('reports unknown and malformed tokens as inactive', async () => {
    expectInactive(await introspectToken(stack.issuer, service, 'no-such-token'));
    expectInactive(await introspectToken(stack.issuer, service, 'e30.e30.e30'));
    expectInactive(await introspectToken(stack.issuer, service, '%%%.&&&.***'));
  });

  it('validates its input and requires client authentication', async () => {
    const url = `${stack.issuer}/oauth/introspect`;
    const missing = await clientPost(url, service, {});
    expect({ status: missing.status, error: missing.body.error }).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    const tooLong = await clientPost(url, service, { token: 'x'.repeat(9000) });
    expect(tooLong.status).toBe(400);
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe('invalid_client');
    const wrongSecret = await clientPost(url, { ...service, secret: 'nope' }, { token: 'abc' });
    expect({ status: wrongSecret.status, error: wrongSecret.body.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);
    const notForm = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'token=abc&client_id=cli',
    });
    expect(notForm.status).toBe(400);
  });

  it('is listed, with revocation, in the authorization server metadata', async () => {
    const res = await fetch(`${stack.issuer}/.well-known/oauth-authorization-server`);
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      revocation_endpoint: `${stack.issuer}/oauth/revoke`,
      introspection_endpoint: `${stack.issuer}/oauth/introspect`,
      revocation_endpoint_auth_methods_supported: [
        'none',
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
    });
  });
});

/** Registers through the real registration endpoint; `operator` sends the initial access token. */
async function register(body: Record<string, unknown>, operator: boolean) {
  const res = await fetch(`${stack.issuer}/oauth/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(operator && { authorization: `Bearer ${stack.initialAccessToken}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const RESOURCE_SERVER = {
  client_name: 'resource server',
  grant_types: ['client_credentials'],
  token_endpoint_auth_method: 'client_secret_basic',
};

describe('introspection by a resource server (introspection_resource)', () => {
  let resourceServer: ClientCredentials;
  let registered: Record<string, unknown>;

  beforeAll(async () => {
    const r = await register({ ...RESOURCE_SERVER, introspection_resource: stack.resource }, true);
    expect(r.status).toBe(201);
    registered = r.body;
    resourceServer = { clientId: String(r.body.client_id), secret: String(r.body.client_secret) };
  });

  it("describes other clients' access tokens for its resource, once the operator granted it", async () => {
    expect(registered.introspection_resource).toBe(stack.resource);
    const tokens = await tokensFor(service);
    const r = await introspectToken(stack.issuer, resourceServer, tokens.accessToken);
    expect(r.body).toMatchObject({ active: true, client_id: 'service', aud: stack.resource, sub: aliceId });
    // The revocation store still decides.
    expect((await revokeToken(stack.issuer, service, tokens.accessToken)).status).toBe(200);
    expectInactive(await introspectToken(stack.issuer, resourceServer, tokens.accessToken));
  });

  it("learns nothing about other clients' refresh tokens", async () => {
    const tokens = await tokensFor(service);
    expectInactive(await introspectToken(stack.issuer, resourceServer, tokens.refreshToken!));
  });

  it('is not granted without the initial access token, nor for a resource that is not ours', async () => {
    const anonymous = await register(
      {
        client_name: 'pretender',
        redirect_uris: ['http://127.0.0.1:9999/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        introspection_resource: stack.resource,
      },
      false,
    );
    expect({ status: anonymous.status, error: anonymous.body.error }).toEqual({
      status: 401,
      error: 'invalid_token',
    });
    const elsewhere = await register(
      { ...RESOURCE_SERVER, introspection_resource: 'https://elsewhere.example/mcp' },
      true,
    );
    expect({ status: elsewhere.status, error: elsewhere.body.error }).toEqual({
      status: 400,
      error: 'invalid_client_metadata',
    });
    const publicClient = await register(
      {
        redirect_uris: ['http://127.0.0.1:9999/cb'],
        token_endpoint_auth_method: 'none',
        introspection_resource: stack.resource,
      },
      true,
    );
    expect(publicClient.body.error).toBe('invalid_client_metadata');
  });

  it('cannot be added by a client updating its own registration (RFC 7592)', async () => {
    const plain = await register(RESOURCE_SERVER, true);
    expect(plain.status).toBe(201);
    const { registration_client_uri: uri, registration_access_token: rat } = plain.body;
    const update = await fetch(String(uri), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${String(rat)}` },
      body: JSON.stringify({
        ...RESOURCE_SERVER,
        client_id: plain.body.client_id,
        introspection_resource: stack.resource,
      }),
    });
    expect(update.status).toBe(400);
    expect(((await update.json()) as { error: string }).error).toBe('invalid_client_metadata');
    const client = { clientId: String(plain.body.client_id), secret: String(plain.body.client_secret) };
    expectInactive(await introspectToken(stack.issuer, client, (await tokensFor(service)).accessToken));
  });

  it('is kept by an update that repeats it, and dropped by one that omits it', async () => {
    const granted = await register({ ...RESOURCE_SERVER, introspection_resource: stack.resource }, true);
    const { registration_client_uri: uri, registration_access_token: rat } = granted.body;
    const client = { clientId: String(granted.body.client_id), secret: String(granted.body.client_secret) };
    const put = (body: Record<string, unknown>) =>
      fetch(String(uri), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${String(rat)}` },
        body: JSON.stringify({ ...body, client_id: client.clientId }),
      });
    const kept = await put({ ...RESOURCE_SERVER, introspection_resource: stack.resource });
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as Record<string, unknown>).introspection_resource).toBe(stack.resource);
    const token = (await tokensFor(service)).accessToken;
    expect((await introspectToken(stack.issuer, client, token)).body.active).toBe(true);

    const dropped = await put(RESOURCE_SERVER);
    expect(dropped.status).toBe(200);
    expect((await dropped.json()) as Record<string, unknown>).not.toHaveProperty('introspection_resource');
    expectInactive(await introspectToken(stack.issuer, client, token));
  });
});
