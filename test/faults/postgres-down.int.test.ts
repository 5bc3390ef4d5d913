import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  addUser,
  callMcp,
  clientPost,
  obtainTokens,
  refreshTokens,
  revokeToken,
  REDIRECT_URI,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from '../integration/token-stack.ts';

/**
 * PostgreSQL down and back (issue 12): the authorization server and registration reach the
 * database through a TCP proxy the test cuts, as a failover or a restart of PostgreSQL would. Every
 * endpoint that needs the database answers 503 temporarily_unavailable with a Retry-After, within a
 * bound (no hang), never a 500; the MCP service, which needs only Redis and the keys, keeps
 * serving; when the link is restored the same processes recover by themselves.
 */

let stack: TokenStack;
let alice: User;
const cli: ClientCredentials = { clientId: 'pg-down-cli' };
const confidential: ClientCredentials = { clientId: 'pg-down-svc', secret: 'a-secret-of-the-test' };

beforeAll(async () => {
  stack = await startTokenStack();
  await addClient(stack.prisma, cli);
  await addClient(stack.prisma, confidential, ['client_credentials']);
  alice = await addUser(stack.prisma, 'alice');
});

afterAll(async () => {
  await stack?.dbProxy.restore().catch(() => undefined);
  await stack?.close();
});

/** Every request of this file is bounded: a hang fails the test instead of stalling it. */
const bounded = (url: string, init: RequestInit = {}) =>
  fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(15_000), ...init });

const register = () =>
  bounded(`${stack.issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
  });

const authorizeUrl = () =>
  `${stack.issuer}/oauth/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: cli.clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    resource: stack.resource,
    scope: 'mcp:tools',
  })}`;

describe('PostgreSQL down and back', () => {
  it('answers 503 temporarily_unavailable (no 500, no hang) while it is down, and recovers with no restart', async () => {
    const live = await obtainTokens({
      issuer: stack.issuer,
      client: cli,
      user: alice,
      resource: stack.resource,
    });
    expect((await register()).status).toBe(201);
    // The first MCP request builds the revocation set in Redis from Postgres (it needs the
    // database then, and would fail closed without it); after that Redis alone answers.
    expect((await callMcp(stack.resource, live.accessToken)).status).toBe(200);

    await stack.dbProxy.cut();
    const seen: Record<string, number> = {};
    try {
      const outage = async (
        name: string,
        res: Response | Promise<Response | { status: number; headers: Headers; text: string }>,
      ) => {
        const r = await res;
        const text = 'text' in r && typeof r.text === 'string' ? r.text : await (r as Response).text();
        seen[name] = r.status;
        expect(r.status, `${name}: ${text.slice(0, 200)}`).toBe(503);
        expect(Number(r.headers.get('retry-after')), name).toBeGreaterThan(0);
        // OAuth endpoints answer RFC 6749 JSON; the authorization page names the same code.
        expect(text, name).toContain('temporarily_unavailable');
      };
      await outage('register', register());
      await outage(
        'register read',
        bounded(`${stack.issuer}/oauth/register/${cli.clientId}`, {
          headers: { authorization: 'Bearer some-registration-token' },
        }),
      );
      await outage('authorize', bounded(authorizeUrl()));
      await outage('token (refresh)', refreshTokens(stack.issuer, cli, live.refreshToken!));
      await outage(
        'token (client_credentials)',
        clientPost(`${stack.issuer}/oauth/token`, confidential, {
          grant_type: 'client_credentials',
        }),
      );
      await outage('revoke', revokeToken(stack.issuer, cli, live.refreshToken!));
      await outage(
        'introspect',
        clientPost(`${stack.issuer}/oauth/introspect`, confidential, {
          token: live.accessToken,
        }),
      );

      // Served from memory: no database needed.
      expect((await bounded(`${stack.issuer}/.well-known/oauth-authorization-server`)).status).toBe(200);
      expect((await bounded(`${stack.issuer}/oauth/jwks.json`)).status).toBe(200);
      // The MCP service reads Redis only (Postgres only to rebuild a lost set): it keeps serving.
      expect((await callMcp(stack.resource, live.accessToken)).status).toBe(200);
    } finally {
      await stack.dbProxy.restore();
    }
    console.log(`PostgreSQL outage answers: ${JSON.stringify(seen)}`);

    // Same processes, same pools: connections are made again on the next request.
    await expect.poll(async () => (await register()).status, { timeout: 20_000, interval: 250 }).toBe(201);
    const after = await obtainTokens({
      issuer: stack.issuer,
      client: cli,
      user: alice,
      resource: stack.resource,
    });
    expect((await callMcp(stack.resource, after.accessToken)).status).toBe(200);
    // The refresh token refused during the outage was not consumed: it still rotates once.
    expect((await refreshTokens(stack.issuer, cli, live.refreshToken!)).status).toBe(200);
  });
});
