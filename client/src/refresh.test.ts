import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreOAuthProvider } from './provider.ts';
import { accessTokenExpiring, serializeRefreshes, watchRefreshFailures } from './refresh.ts';
import { CredentialStore, type StoredTokens } from './store.ts';

describe('accessTokenExpiring', () => {
  const tokens = (expires_at?: number, expires_in?: number) => ({
    access_token: 'at',
    token_type: 'Bearer',
    ...(expires_at === undefined ? {} : { expires_at }),
    ...(expires_in === undefined ? {} : { expires_in }),
  });

  it('is due a tenth of the lifetime before expiry, at most 30 s before', () => {
    expect(accessTokenExpiring(tokens(1000, 900), 969_999)).toBe(false);
    expect(accessTokenExpiring(tokens(1000, 900), 970_000)).toBe(true);
    expect(accessTokenExpiring(tokens(1000, 2), 999_700)).toBe(false);
    expect(accessTokenExpiring(tokens(1000, 2), 999_800)).toBe(true);
  });

  it('is due at expiry when the lifetime is unknown, and never without an expiry', () => {
    expect(accessTokenExpiring(tokens(1000), 999_999)).toBe(false);
    expect(accessTokenExpiring(tokens(1000), 1_000_000)).toBe(true);
    expect(accessTokenExpiring(tokens(), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('watchRefreshFailures', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function answering(status: number): Promise<string> {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  }
  const refresh = () => ({
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt' }),
  });

  it('remembers a 5xx answer to a refresh, and nothing else', async () => {
    const url = await answering(503);
    const watch = watchRefreshFailures();
    await (
      await watch.fetch(url, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code' }),
      })
    ).text();
    await (await watch.fetch(url)).text();
    expect(watch.failure()).toBeUndefined();
    const response = await watch.fetch(url, refresh());
    expect(response.status).toBe(503);
    expect(watch.failure()).toBe('the authorization server answered HTTP 503');
  });

  it('does not count a refused refresh (4xx) as a failure: that is the grant', async () => {
    const url = await answering(400);
    const watch = watchRefreshFailures();
    await (await watch.fetch(url, refresh())).text();
    expect(watch.failure()).toBeUndefined();
  });

  it('remembers an unreachable server and still throws', async () => {
    const url = await answering(200);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const watch = watchRefreshFailures();
    await expect(watch.fetch(url, refresh())).rejects.toThrow();
    expect(watch.failure()).toMatch(/^cannot reach the authorization server: .*ECONNREFUSED/);
  });
});

describe('serializeRefreshes', () => {
  const SERVER = 'http://127.0.0.1:1/mcp';
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A token endpoint that rotates: each refresh answers the next numbered pair, slowly. */
  async function tokenEndpoint(): Promise<{ url: string; spent: string[] }> {
    const spent: string[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        spent.push(new URLSearchParams(body).get('refresh_token')!);
        const n = spent.length;
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              access_token: `at${n + 1}`,
              token_type: 'Bearer',
              expires_in: 900,
              refresh_token: `rt${n + 1}`,
              scope: 'mcp:tools',
            }),
          );
        }, 50);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`, spent };
  }

  async function storeWith(tokens: StoredTokens | undefined): Promise<CredentialStore> {
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-refresh-'));
    const store = new CredentialStore(dir);
    await store.update(SERVER, () => ({ clientInformation: { client_id: 'cli' }, tokens }));
    return store;
  }
  const stored = (expiresAt = 2_000_000_900): StoredTokens => ({
    access_token: 'at1',
    token_type: 'Bearer',
    expires_in: 900,
    expires_at: expiresAt,
    refresh_token: 'rt1',
    scope: 'mcp:tools',
    issuer: 'http://127.0.0.1:1',
  });
  const refreshWith = (refreshToken: string) => ({
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'cli' }),
  });

  it('sends one refresh for processes holding the same refresh token, and gives them all its tokens', async () => {
    const endpoint = await tokenEndpoint();
    const store = await storeWith(stored());
    // One provider and fetch per "process": each read rt1 before any of them refreshed.
    const fetches = Array.from({ length: 4 }, () =>
      serializeRefreshes(store, new StoreOAuthProvider(store, SERVER), fetch, () => 2_000_000_000_000),
    );
    const answers = await Promise.all(
      fetches.map(async (fetchFn) => (await fetchFn(endpoint.url, refreshWith('rt1'))).json()),
    );

    expect(endpoint.spent).toEqual(['rt1']);
    for (const answer of answers) {
      expect(answer).toMatchObject({ access_token: 'at2', refresh_token: 'rt2', token_type: 'Bearer' });
    }
    // Saved before the lock was let go, with the issuer the SDK stamped on what it replaced.
    expect((await store.read(SERVER))?.tokens).toMatchObject({
      access_token: 'at2',
      refresh_token: 'rt2',
      issuer: 'http://127.0.0.1:1',
    });
  });

  it('answers from the store, with the lifetime left, when the refresh token was already rotated', async () => {
    const endpoint = await tokenEndpoint();
    const store = await storeWith(stored(2_000_000_600));
    const provider = new StoreOAuthProvider(store, SERVER);
    const response = await serializeRefreshes(
      store,
      provider,
      fetch,
      () => 2_000_000_000_000,
    )(endpoint.url, refreshWith('rt0'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      access_token: 'at1',
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: 'rt1',
      scope: 'mcp:tools',
    });
    expect(endpoint.spent).toEqual([]);

    // The SDK then saves that answer (with the spent token it sent, were none in it): that must not
    // write, for a newer refresh by another process may have been stored since.
    await store.update(SERVER, (current) => ({ ...current, tokens: { ...stored(), access_token: 'at9' } }));
    await provider.saveTokens({
      access_token: 'at1',
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: 'rt0',
    });
    expect((await store.read(SERVER))?.tokens?.access_token).toBe('at9');
  });

  it('answers invalid_grant without asking the server when the login ended meanwhile', async () => {
    const endpoint = await tokenEndpoint();
    const store = await storeWith(undefined);
    const response = await serializeRefreshes(store, new StoreOAuthProvider(store, SERVER))(
      endpoint.url,
      refreshWith('rt1'),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
    expect(endpoint.spent).toEqual([]);
  });

  it('passes other requests through without the lock', async () => {
    const endpoint = await tokenEndpoint();
    const store = await storeWith(undefined);
    const response = await serializeRefreshes(store, new StoreOAuthProvider(store, SERVER))(endpoint.url, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }),
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(endpoint.spent).toHaveLength(1);
  });
});
