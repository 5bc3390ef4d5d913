import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  addUser,
  callMcp,
  obtainTokens,
  refreshTokens,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from './token-stack.ts';

/** The fields these tests read from the admin answers (each answer has some of them). */
interface Answer {
  error: string;
  error_description: string;
  user: { username: string; disabledAt: string | null; passwordHash?: string };
  users: { username: string }[];
  signedOut: { grants: number };
  clients: { id: string; lastUsedAt: string | null }[];
  client: { id: string; grants: unknown[] };
  grants: unknown[];
  events: { type: string; actor: string; address: string; outcome: string; detail: { operation: string } }[];
}

const TOKEN = randomBytes(32).toString('base64url');
const suffix = () => randomBytes(3).toString('hex');

describe('admin API', () => {
  let stack: TokenStack;
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.issuer}/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : {}) as Answer,
    };
  };
  const newClient = async (): Promise<ClientCredentials> =>
    addClient(stack.prisma, { clientId: `client-${suffix()}` });
  const tokensFor = (client: ClientCredentials, user: User) =>
    obtainTokens({ issuer: stack.issuer, client, user, resource: stack.resource });

  beforeAll(async () => {
    stack = await startTokenStack({ env: { ADMIN_API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is off (404) without ADMIN_API_TOKEN', async () => {
    const off = await startTokenStack();
    try {
      const res = await fetch(`${off.issuer}/admin/v1/users`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('refuses a request without the operator token or with a wrong one (401), and audits it', async () => {
    const none = await call('GET', '/users', undefined, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="mcp-auth admin"/);
    const wrong = await call('GET', '/users', undefined, `${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_token');
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const short = await call('GET', '/users', undefined, 'x');
    expect(short.status).toBe(401);
    await stack.audit.flush();
    const refused = await stack.prisma.auditEvent.findMany({
      where: {
        type: 'admin.action',
        outcome: 'failure',
        detail: { path: ['operation'], equals: 'authenticate' },
      },
    });
    expect(refused.length).toBeGreaterThanOrEqual(3);
  });

  it('validates input: RFC-style errors, never a 500', async () => {
    const missing = await call('POST', '/users', { username: `v${suffix()}` });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_request' });
    expect(missing.body.error_description).toMatch(/password/);
    expect((await call('POST', '/users', { username: 'bad name!', password: 'long enough pw' })).status).toBe(
      400,
    );
    expect((await call('POST', '/users', { username: `v${suffix()}`, password: 'short' })).status).toBe(400);
    expect(
      (await call('POST', '/users', { username: `v${suffix()}`, password: 'x'.repeat(20), admin: true }))
        .status,
    ).toBe(400);
    const notJson = await fetch(`${stack.issuer}/admin/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect(notJson.status).toBe(400);
    expect((await call('GET', '/audit?limit=abc')).status).toBe(400);
    expect((await call('GET', '/audit?type=no.such.event')).status).toBe(400);
    expect((await call('GET', '/audit?since=yesterday')).status).toBe(400);
    expect((await call('GET', '/audit?colour=blue')).status).toBe(400);
    expect((await call('GET', '/grants')).status).toBe(400);
    expect((await call('GET', '/users/nobody-at-all/enable')).status).toBe(404);
    expect((await call('POST', '/users/nobody-at-all/enable')).body).toMatchObject({ error: 'not_found' });
    expect((await call('GET', '/clients/no-such-client')).status).toBe(404);
    expect((await call('GET', '/no/such/thing')).status).toBe(404);

    // Refused at the edge, before the service layer: audited all the same.
    await stack.audit.flush();
    const refused = await stack.prisma.auditEvent.findMany({
      where: { type: 'admin.action', detail: { path: ['operation'], equals: 'request' } },
    });
    expect(refused.map((e) => (e.detail as { path: string }).path)).toEqual(
      expect.arrayContaining(['/users', '/audit', '/no/such/thing']),
    );
  });

  it('users: add (409 when taken), list, reset password, sign out, delete', async () => {
    const username = `ann-${suffix()}`;
    const added = await call('POST', '/users', { username, password: 'first password 1' });
    expect(added.status).toBe(201);
    expect(added.body.user).toMatchObject({ username, disabledAt: null });
    expect(added.body.user.passwordHash).toBeUndefined();
    expect((await call('POST', '/users', { username, password: 'first password 1' })).status).toBe(409);
    const list = await call('GET', '/users');
    expect(list.body.users.map((u) => u.username)).toContain(username);

    const client = await newClient();
    const before = await tokensFor(client, { username, password: 'first password 1' });
    const reset = await call('POST', `/users/${username}/password`, { password: 'second password 2' });
    expect(reset.status).toBe(200);
    expect(reset.body.signedOut.grants).toBe(1);
    expect((await callMcp(stack.resource, before.accessToken)).status).toBe(401);
    await expect(tokensFor(client, { username, password: 'first password 1' })).rejects.toThrow(/login/);
    const after = await tokensFor(client, { username, password: 'second password 2' });

    const out = await call('POST', `/users/${username}/sign-out`);
    // Both grants: the one the reset ended is revoked again (idempotent), and the new one.
    expect(out.body.signedOut.grants).toBe(2);
    expect((await refreshTokens(stack.issuer, client, after.refreshToken!)).status).toBe(400);

    const deleted = await call('DELETE', `/users/${username}`);
    expect(deleted.status).toBe(200);
    expect(await stack.prisma.user.count({ where: { username } })).toBe(0);
    expect((await call('DELETE', `/users/${username}`)).status).toBe(404);
  });

  it('users: a disabled user cannot sign in and loses their tokens; enabled, they can again', async () => {
    const bob = await addUser(stack.prisma, `bob-${suffix()}`);
    const client = await newClient();
    const tokens = await tokensFor(client, bob);
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(200);

    const disabled = await call('POST', `/users/${bob.username}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.user.disabledAt).toEqual(expect.any(String));
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(401);
    expect((await refreshTokens(stack.issuer, client, tokens.refreshToken!)).status).toBe(400);
    await expect(tokensFor(client, bob)).rejects.toThrow(/login/);
    await stack.audit.flush();
    const refusal = await stack.prisma.auditEvent.findFirst({
      where: { type: 'login.failed', detail: { path: ['username'], equals: bob.username } },
    });
    expect(refusal?.detail).toMatchObject({ reason: 'disabled' });

    expect((await call('POST', `/users/${bob.username}/enable`)).body.user.disabledAt).toBeNull();
    // iat has whole seconds, so tokens of the sign-out's own second are refused too (fail closed):
    // the next login is in the following second.
    const { id } = await stack.prisma.user.findUniqueOrThrow({ where: { username: bob.username } });
    const { notBefore } = await stack.prisma.revocation.findUniqueOrThrow({
      where: { kind_value: { kind: 'user', value: id } },
    });
    await sleep(Math.max(0, (Math.floor(notBefore!.getTime() / 1000) + 1) * 1000 - Date.now()));
    const again = await tokensFor(client, bob);
    expect((await callMcp(stack.resource, again.accessToken)).status).toBe(200);
  });

  it('clients and grants: list with last use, show, revoke a grant, delete a client (its tokens refused)', async () => {
    const carol = await addUser(stack.prisma, `carol-${suffix()}`);
    const client = await newClient();
    const tokens = await tokensFor(client, carol);

    const clients = await call('GET', '/clients');
    const listed = clients.body.clients.find((c) => c.id === client.clientId);
    expect(listed?.lastUsedAt).toEqual(expect.any(String));
    const shown = await call('GET', `/clients/${encodeURIComponent(client.clientId)}`);
    expect(shown.body.client.grants).toEqual([
      expect.objectContaining({ username: carol.username, resource: stack.resource, scopes: ['mcp:tools'] }),
    ]);

    const grants = await call('GET', `/grants?user=${carol.username}`);
    expect(grants.body.grants).toHaveLength(1);
    expect((await call('GET', `/grants?user=${carol.username}&client=other`)).body.grants).toEqual([]);
    const revoked = await call('POST', '/grants/revoke', { user: carol.username, client: client.clientId });
    expect(revoked.body).toEqual({ grants: 1, consents: 1, families: 1, codes: 0 });
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(401);
    expect((await call('GET', `/grants?user=${carol.username}`)).body.grants).toEqual([]);

    const second = await tokensFor(client, carol);
    const deleted = await call('DELETE', `/clients/${encodeURIComponent(client.clientId)}`);
    expect(deleted.status).toBe(200);
    expect((await callMcp(stack.resource, second.accessToken)).status).toBe(401);
    expect(await stack.prisma.refreshToken.count({ where: { clientId: client.clientId } })).toBe(0);
    expect((await call('DELETE', `/clients/${encodeURIComponent(client.clientId)}`)).status).toBe(404);
  });

  it('audit: every call is recorded, and the query filters by type, user, client, time and limit', async () => {
    const dave = await addUser(stack.prisma, `dave-${suffix()}`);
    const client = await newClient();
    await tokensFor(client, dave);
    await call('POST', `/users/${dave.username}/sign-out`);
    await stack.audit.flush();

    const mine = await call('GET', `/audit?user=${dave.username}`);
    const types = mine.body.events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['login.succeeded', 'consent.granted', 'token.issued', 'admin.action']),
    );
    const signOut = mine.body.events.find((e) => e.type === 'admin.action');
    expect(signOut).toMatchObject({
      actor: 'admin:api',
      outcome: 'success',
      detail: { operation: 'users.sign_out' },
    });
    expect(signOut?.address).toMatch(/127\.0\.0\.1/);

    const byClient = await call('GET', `/audit?client=${client.clientId}&type=token.issued`);
    expect(byClient.body.events).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await call('GET', `/audit?since=${future}`)).body.events).toEqual([]);
    expect((await call('GET', '/audit?limit=2')).body.events).toHaveLength(2);
    expect((await call('GET', '/audit?user=nobody-by-this-name')).body.events).toEqual([]);

    // The query itself was audited.
    await stack.audit.flush();
    const reads = await stack.prisma.auditEvent.count({
      where: { type: 'admin.action', detail: { path: ['operation'], equals: 'audit.list' } },
    });
    expect(reads).toBeGreaterThanOrEqual(5);
  });
});
