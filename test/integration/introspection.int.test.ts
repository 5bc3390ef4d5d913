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
