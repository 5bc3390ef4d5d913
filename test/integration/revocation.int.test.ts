import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  addUser,
  authorize,
  callMcp,
  challengeError,
  clientPost,
  obtainTokens,
  redeemCode,
  refreshTokens,
  revokeToken,
  tokenSetOf,
  type ClientCredentials,
  type HttpResult,
  type User,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from './token-stack.ts';
import { RedisRevocationStore, refreshReuseDetected } from '@mcp-auth/core';
import { signOutEverywhere } from '../../services/authz/src/revocation/sign-out.ts';
import { setPassword } from '../../services/authz/src/users.ts';
import { run } from '../support/processes.ts';

const counter = async (c: typeof refreshReuseDetected) => (await c.get()).values[0]?.value ?? 0;

let stack: TokenStack;
let alice: User;
const cli: ClientCredentials = { clientId: 'cli' };
const webApp: ClientCredentials = { clientId: 'web-app', secret: 'web-app-secret-value' };

beforeAll(async () => {
  stack = await startTokenStack();
  await addClient(stack.prisma, cli);
  await addClient(stack.prisma, webApp);
  alice = await addUser(stack.prisma, 'alice');
});

afterAll(async () => {
  await stack?.close();
});

const tokensFor = (client: ClientCredentials) =>
  obtainTokens({ issuer: stack.issuer, client, user: alice, resource: stack.resource });

function expectRefused(r: HttpResult) {
  expect({ status: r.status, error: r.body.error, challenge: challengeError(r) }).toEqual({
    status: 401,
    error: 'invalid_token',
    challenge: 'invalid_token',
  });
}

function expectOAuthError(r: HttpResult, status: number, error: string) {
  expect({ status: r.status, error: r.body.error }).toEqual({ status, error });
  expect(typeof r.body.error_description).toBe('string');
  expect(r.headers.get('cache-control')).toBe('no-store');
}

describe('POST /oauth/revoke', () => {
  it('revokes an access token: the very next MCP call with it is refused', async () => {
    const tokens = await tokensFor(cli);
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(200);

    const revoked = await revokeToken(stack.issuer, cli, tokens.accessToken, {
      token_type_hint: 'access_token',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.text).toBe('');
    expect(revoked.headers.get('cache-control')).toBe('no-store');

    expectRefused(await callMcp(stack.resource, tokens.accessToken));
    // Only that token: the grant goes on, and a refreshed access token works.
    const next = tokenSetOf(await refreshTokens(stack.issuer, cli, tokens.refreshToken!));
    expect((await callMcp(stack.resource, next.accessToken)).status).toBe(200);
  });

  it("revokes a refresh token with its family: the grant's access tokens are refused", async () => {
    const tokens = await tokensFor(webApp);
    const rotated = tokenSetOf(await refreshTokens(stack.issuer, webApp, tokens.refreshToken!));
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(200);
    expect((await callMcp(stack.resource, rotated.accessToken)).status).toBe(200);

    // A wrong hint does not matter (RFC 7009 §2.1: the server searches every type).
    expect(
      (await revokeToken(stack.issuer, webApp, rotated.refreshToken!, { token_type_hint: 'access_token' }))
        .status,
    ).toBe(200);

    expectRefused(await callMcp(stack.resource, tokens.accessToken));
    expectRefused(await callMcp(stack.resource, rotated.accessToken));
    expectOAuthError(await refreshTokens(stack.issuer, webApp, rotated.refreshToken!), 400, 'invalid_grant');
  });

  it("does nothing to another client's tokens, and says 200 all the same", async () => {
    const theirs = await tokensFor(cli);
    expect((await revokeToken(stack.issuer, webApp, theirs.accessToken)).status).toBe(200);
    expect((await revokeToken(stack.issuer, webApp, theirs.refreshToken!)).status).toBe(200);
    expect((await callMcp(stack.resource, theirs.accessToken)).status).toBe(200);
    const next = await refreshTokens(stack.issuer, cli, theirs.refreshToken!);
    expect(next.status).toBe(200);
    expect(await stack.prisma.revocation.count()).toBeGreaterThan(0);
    const claims = JSON.parse(Buffer.from(theirs.accessToken.split('.')[1]!, 'base64url').toString()) as {
      jti: string;
      sid: string;
    };
    expect(await stack.prisma.revocation.count({ where: { value: { in: [claims.jti, claims.sid] } } })).toBe(
      0,
    );
  });

  it('answers 200 for unknown, malformed and already revoked tokens', async () => {
    const tokens = await tokensFor(cli);
    expect((await revokeToken(stack.issuer, cli, tokens.refreshToken!)).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, tokens.refreshToken!)).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, 'no-such-token')).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, 'a.b.c')).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, 'x', { token_type_hint: 'id_token' })).status).toBe(200);
  });

  it('validates its input', async () => {
    const url = `${stack.issuer}/oauth/revoke`;
    expectOAuthError(await clientPost(url, cli, {}), 400, 'invalid_request');
    expectOAuthError(await clientPost(url, webApp, {}), 400, 'invalid_request');
    // Client authentication comes first, and is required.
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe('invalid_client');
    expectOAuthError(
      await clientPost(url, { ...webApp, secret: 'wrong' }, { token: 'abc' }),
      401,
      'invalid_client',
    );
    // A confidential client cannot pass as a public one by leaving its secret out.
    expectOAuthError(
      await clientPost(url, { clientId: webApp.clientId }, { token: 'abc' }),
      401,
      'invalid_client',
    );
    const json = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'abc', client_id: cli.clientId }),
    });
    expect(json.status).toBe(400);
    const repeated = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'client_id=cli&token=a&token=b',
    });
    expect(repeated.status).toBe(400);
    expect(((await repeated.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('reuse and replay revoke the grant at the MCP service', () => {
  it('50 concurrent refreshes with one token: one winner, 49 invalid_grant, and the family is revoked', async () => {
    const tokens = await tokensFor(cli);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => refreshTokens(stack.issuer, cli, tokens.refreshToken!)),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers.map((r) => `${r.status} ${String(r.body.error)}`)).toEqual(
      Array.from({ length: 49 }, () => '400 invalid_grant'),
    );
    // The losers presented a rotated token: reuse (RFC 9700 §4.14.2), so the whole grant is gone,
    // the winner's new tokens included.
    const winner = tokenSetOf(winners[0]!);
    expectRefused(await callMcp(stack.resource, winner.accessToken));
    expectRefused(await callMcp(stack.resource, tokens.accessToken));
    expectOAuthError(await refreshTokens(stack.issuer, cli, winner.refreshToken!), 400, 'invalid_grant');
  });

  it('a rotated token used again revokes the access tokens of the grant', async () => {
    const reusesBefore = await counter(refreshReuseDetected);
    const tokens = await tokensFor(webApp);
    const next = tokenSetOf(await refreshTokens(stack.issuer, webApp, tokens.refreshToken!));
    expect((await callMcp(stack.resource, next.accessToken)).status).toBe(200);
    expectOAuthError(await refreshTokens(stack.issuer, webApp, tokens.refreshToken!), 400, 'invalid_grant');
    expectRefused(await callMcp(stack.resource, next.accessToken));
    // Operators see it in /metrics.
    expect(await counter(refreshReuseDetected)).toBe(reusesBefore + 1);
  });

  it('a replayed code is invalid_grant, and the first exchange’s token is refused', async () => {
    const code = await authorize({
      issuer: stack.issuer,
      client: cli,
      user: alice,
      resource: stack.resource,
      scope: 'mcp:tools',
    });
    const first = tokenSetOf(await redeemCode(stack.issuer, cli, code));
    expect((await callMcp(stack.resource, first.accessToken)).status).toBe(200);
    expectOAuthError(await redeemCode(stack.issuer, cli, code), 400, 'invalid_grant');
    expectRefused(await callMcp(stack.resource, first.accessToken));
    expectOAuthError(await refreshTokens(stack.issuer, cli, first.refreshToken!), 400, 'invalid_grant');
  });
});

describe('deleting a client (RFC 7592 §2.3)', () => {
  it('revokes every access token it holds, whatever the grant', async () => {
    // Registered through the real registration endpoint, as the operator registers a machine client.
    const registration = await fetch(`${stack.issuer}/oauth/register`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${stack.initialAccessToken}`,
      },
      body: JSON.stringify({
        client_name: 'nightly job',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    expect(registration.status).toBe(201);
    const registered = (await registration.json()) as {
      client_id: string;
      client_secret: string;
      registration_access_token: string;
      registration_client_uri: string;
    };
    const job = { clientId: registered.client_id, secret: registered.client_secret };
    const issued = await clientPost(`${stack.issuer}/oauth/token`, job, {
      grant_type: 'client_credentials',
      resource: stack.resource,
    });
    expect(issued.status).toBe(200);
    const accessToken = String(issued.body.access_token);
    expect((await callMcp(stack.resource, accessToken)).status).toBe(200);

    const deleted = await fetch(registered.registration_client_uri, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${registered.registration_access_token}` },
    });
    expect(deleted.status).toBe(204);
    expectRefused(await callMcp(stack.resource, accessToken));
  });
});

describe('a password change signs the user out everywhere', () => {
  it('ends every grant of the user: refresh tokens refused, access tokens refused at the MCP service', async () => {
    const bob = await addUser(stack.prisma, 'bob-signout');
    const viaCli = await obtainTokens({
      issuer: stack.issuer,
      client: cli,
      user: bob,
      resource: stack.resource,
      scope: 'mcp:tools',
    });
    const viaWeb = await obtainTokens({
      issuer: stack.issuer,
      client: webApp,
      user: bob,
      resource: stack.resource,
      scope: 'mcp:tools',
    });
    const alices = await tokensFor(cli);
    const { id } = await stack.prisma.user.findUniqueOrThrow({ where: { username: 'bob-signout' } });

    const store = new RedisRevocationStore(stack.redis, stack.prisma, stack.redisInfo.keyPrefix);
    // Each of bob's two logins above left a remembered sign-in.
    expect(
      await signOutEverywhere({ prisma: stack.prisma, revocation: store, config: stack.config }, id),
    ).toEqual({ grants: 2, codes: 0, sessions: 2 });

    for (const [client, tokens] of [
      [cli, viaCli],
      [webApp, viaWeb],
    ] as const) {
      expectRefused(await callMcp(stack.resource, tokens.accessToken));
      expectOAuthError(await refreshTokens(stack.issuer, client, tokens.refreshToken!), 400, 'invalid_grant');
    }
    // Nobody else is signed out.
    expect((await callMcp(stack.resource, alices.accessToken)).status).toBe(200);
  });
});

describe('signing out everywhere covers every grant, code and pending request', () => {
  const userIdOf = async (username: string) =>
    (await stack.prisma.user.findUniqueOrThrow({ where: { username } })).id;

  it('`npm run user -- passwd`: earlier access tokens refused, even of a grant with nothing left in Postgres; earlier codes refused; later tokens accepted', async () => {
    const carol = await addUser(stack.prisma, 'carol-passwd');
    // A client without refresh tokens: its grant lives in Postgres only as its code.
    const once = await addClient(stack.prisma, { clientId: 'no-refresh' }, ['authorization_code']);
    const flow = { issuer: stack.issuer, client: once, resource: stack.resource, scope: 'mcp:tools' };
    const earlier = await obtainTokens({ ...flow, user: carol });
    expect(earlier.refreshToken).toBeUndefined();
    expect((await callMcp(stack.resource, earlier.accessToken)).status).toBe(200);
    const unredeemed = await authorize({ ...flow, user: carol });
    const id = await userIdOf(carol.username);
    // Housekeeping deletes the redeemed code once it expires; then nothing names that grant.
    await stack.prisma.authorizationCode.deleteMany({ where: { userId: id, usedAt: { not: null } } });

    const newPassword = 'a brand new password';
    const changed = await run(
      process.execPath,
      ['--import', 'tsx', 'services/authz/src/user-cli.ts', 'passwd', carol.username],
      {
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisInfo.url,
        REDIS_KEY_PREFIX: stack.redisInfo.keyPrefix,
        ACCESS_TOKEN_TTL: String(stack.config.accessTokenTtl),
      },
      `${newPassword}\n`,
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(
      '0 grants, 1 unredeemed code, 2 remembered sign-ins and pending authorization requests ended',
    );

    expectRefused(await callMcp(stack.resource, earlier.accessToken));
    expectOAuthError(await redeemCode(stack.issuer, once, unredeemed), 400, 'invalid_grant');

    // iat has whole seconds, so tokens of the sign-out's own second are refused too (fail closed):
    // the next login is in the following second.
    const { notBefore } = await stack.prisma.revocation.findUniqueOrThrow({
      where: { kind_value: { kind: 'user', value: id } },
    });
    await sleep(Math.max(0, (Math.floor(notBefore!.getTime() / 1000) + 1) * 1000 - Date.now()));
    const later = await obtainTokens({ ...flow, user: { ...carol, password: newPassword } });
    expect((await callMcp(stack.resource, later.accessToken)).status).toBe(200);
    // It starts the real CLI, a Node process with tsx: slow on a loaded machine.
  }, 120_000);

  it('`npm run user -- signout`: earlier access tokens refused, the password unchanged', async () => {
    const jo = await addUser(stack.prisma, 'jo-signout');
    const flow = { issuer: stack.issuer, client: cli, resource: stack.resource, scope: 'mcp:tools' };
    const earlier = await obtainTokens({ ...flow, user: jo });
    const userCli = (username: string) =>
      run(process.execPath, ['--import', 'tsx', 'services/authz/src/user-cli.ts', 'signout', username], {
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisInfo.url,
        REDIS_KEY_PREFIX: stack.redisInfo.keyPrefix,
        ACCESS_TOKEN_TTL: String(stack.config.accessTokenTtl),
      });
    const [signedOut, unknown] = await Promise.all([userCli(jo.username), userCli('nobody-here')]);
    expect(signedOut.code, signedOut.stderr).toBe(0);
    expect(signedOut.stdout).toContain('jo-signout: signed out everywhere (1 grant,');
    expect({ code: unknown.code, stderr: unknown.stderr.trim() }).toEqual({
      code: 1,
      stderr: 'error: user nobody-here does not exist',
    });
    expectRefused(await callMcp(stack.resource, earlier.accessToken));
    expectOAuthError(await refreshTokens(stack.issuer, cli, earlier.refreshToken!), 400, 'invalid_grant');
    // The same password still signs in (the authorization code flow checks it).
    await expect(authorize({ ...flow, user: jo })).resolves.toMatchObject({ code: expect.any(String) });
  }, 120_000);

  it('someone still on the consent page after a password change cannot approve', async () => {
    const dave = await addUser(stack.prisma, 'dave-consent');
    const client = await addClient(stack.prisma, { clientId: 'consent-pending' });
    const id = await userIdOf(dave.username);
    const store = new RedisRevocationStore(stack.redis, stack.prisma, stack.redisInfo.keyPrefix);
    await expect(
      authorize({
        issuer: stack.issuer,
        client,
        user: dave,
        resource: stack.resource,
        scope: 'mcp:tools',
        beforeConsent: async () => {
          // What `npm run user -- passwd` does, while the page is open.
          await setPassword(stack.prisma, dave.username, 'the owner took it back');
          await signOutEverywhere({ prisma: stack.prisma, revocation: store, config: stack.config }, id);
          expect(await stack.prisma.authorizationRequest.count({ where: { userId: id } })).toBe(0);
        },
      }),
    ).rejects.toThrow('consent: expected a 303 redirect, got 400');
    expect(await stack.prisma.authorizationCode.count({ where: { userId: id } })).toBe(0);
  });
});
