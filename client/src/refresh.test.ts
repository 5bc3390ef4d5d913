import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { accessTokenExpiring, watchRefreshFailures } from './refresh.ts';

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
