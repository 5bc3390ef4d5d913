import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentOf, loadCompose, service } from '../../scripts/stack/compose.ts';
import { startGateway } from '../../scripts/stack/gateway.ts';
import { freePort } from '@mcp-auth/core';
import type { StackProcess } from '../../scripts/stack/process.ts';
import { postJson, request } from './http.ts';

/**
 * The gateway configuration itself (deploy/gateway), with compose's settings, in front of three
 * recording upstreams standing in for the services: which path reaches which service, what headers
 * they get, and what never reaches them.
 */

type Upstream = 'registration' | 'authz' | 'mcp';
interface Seen {
  upstream: Upstream;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

describe('gateway routing (deploy/gateway with the compose settings)', () => {
  const seen: Seen[] = [];
  const servers = new Map<Upstream, Server>();
  let releaseStream: (() => void) | undefined;
  let gateway: StackProcess & { url: string };
  let gatewayEnv: Record<string, string>;
  let dir: string;

  const answer = (upstream: Upstream) => (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      seen.push({ upstream, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (upstream === 'mcp' && req.headers.accept === 'text/event-stream') {
        // An SSE stream that sends one event and then stays open until the test has read it.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: message\ndata: first\n\n');
        releaseStream = () => res.end();
        return;
      }
      // ?pad=N asks for a large answer, which nginx spools through its temporary files.
      const pad = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('pad') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream, url: req.url, ...(pad ? { pad: 'x'.repeat(pad) } : {}) }));
    });
  };

  beforeAll(async () => {
    for (const name of ['registration', 'authz', 'mcp'] as const) {
      const server = createServer(answer(name));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.set(name, server);
    }
    const portOf = (name: Upstream) => {
      const a = servers.get(name)!.address();
      return typeof a === 'object' && a ? a.port : 0;
    };
    gatewayEnv = environmentOf(service(await loadCompose(), 'gateway'));
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-gateway-'));
    gateway = await startGateway({
      env: {
        ...gatewayEnv,
        GATEWAY_REGISTRATION_UPSTREAM: `127.0.0.1:${portOf('registration')}`,
        GATEWAY_AUTHZ_UPSTREAM: `127.0.0.1:${portOf('authz')}`,
        GATEWAY_MCP_UPSTREAM: `127.0.0.1:${portOf('mcp')}`,
      },
      port: await freePort(),
      dir,
    });
  });

  afterAll(async () => {
    releaseStream?.();
    await gateway?.stop();
    for (const s of servers.values()) s.closeAllConnections();
    await Promise.all([...servers.values()].map((s) => new Promise((r) => s.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const routes: [string, string, Upstream][] = [
    ['GET', '/.well-known/oauth-authorization-server', 'authz'],
    ['GET', '/.well-known/oauth-protected-resource', 'mcp'],
    ['GET', '/.well-known/oauth-protected-resource/mcp', 'mcp'],
    ['POST', '/oauth/register', 'registration'],
    // Other spellings of the limited paths reach the same service (which answers them 404) through
    // the limited location: see the rate limit tests.
    ['POST', '/oauth/register/', 'registration'],
    ['POST', '/oauth/Register', 'registration'],
    ['GET', '/oauth/register/client-1', 'registration'],
    ['PUT', '/oauth/register/client-1', 'registration'],
    ['DELETE', '/oauth/register/client-1', 'registration'],
    ['GET', '/oauth/authorize?response_type=code&client_id=c&state=s%20t', 'authz'],
    ['GET', '/oauth/Authorize/', 'authz'],
    ['GET', '/oauth/login?flow=abc', 'authz'],
    ['POST', '/oauth/login', 'authz'],
    ['POST', '/oauth/LOGIN/', 'authz'],
    ['POST', '/oauth/consent', 'authz'],
    ['POST', '/oauth/token', 'authz'],
    ['POST', '/oauth/revoke', 'authz'],
    ['POST', '/oauth/introspect', 'authz'],
    ['GET', '/oauth/jwks.json', 'authz'],
    ['GET', '/account', 'authz'],
    ['GET', '/oauth/account', 'authz'],
    ['POST', '/oauth/account/sign-in', 'authz'],
    ['POST', '/oauth/account/withdraw', 'authz'],
    ['GET', '/oauth/upstream/start?flow=abc', 'authz'],
    ['GET', '/oauth/upstream/callback?code=c&state=s', 'authz'],
    ['POST', '/mcp', 'mcp'],
    ['GET', '/mcp', 'mcp'],
    ['DELETE', '/mcp', 'mcp'],
  ];

  it.each(routes)('%s %s goes to %s, with path and query unchanged', async (method, path, upstream) => {
    const before = seen.length;
    const res = await request(`${gateway.url}${path}`, {
      method,
      ...(method === 'GET' || method === 'DELETE'
        ? {}
        : { body: '{}', headers: { 'content-type': 'application/json' } }),
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ upstream, url: path });
    expect(seen.slice(before).map((s) => [s.upstream, s.method, s.url])).toEqual([[upstream, method, path]]);
  });

  it.each([
    '/metrics',
    '/readyz',
    '/oauth',
    '/mcp/other',
    '/registration/oauth/register',
    '/.well-known/openid-configuration',
    // Not routed unless GATEWAY_ADMIN_API=true (below).
    '/admin/v1/users',
    '/',
  ])('%s reaches no service: 404 in the OAuth error shape', async (path) => {
    const before = seen.length;
    const res = await request(`${gateway.url}${path}`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toEqual({ error: 'not_found', error_description: expect.any(String) });
    expect(seen.length).toBe(before);
  });

  it('routes the admin API to authz only with GATEWAY_ADMIN_API=true', async () => {
    const portOf = (name: Upstream) => {
      const a = servers.get(name)!.address();
      return typeof a === 'object' && a ? a.port : 0;
    };
    const adminDir = await mkdtemp(join(tmpdir(), 'mcp-auth-gateway-admin-'));
    const withAdmin = await startGateway({
      env: {
        ...gatewayEnv,
        GATEWAY_ADMIN_API: 'true',
        GATEWAY_REGISTRATION_UPSTREAM: `127.0.0.1:${portOf('registration')}`,
        GATEWAY_AUTHZ_UPSTREAM: `127.0.0.1:${portOf('authz')}`,
        GATEWAY_MCP_UPSTREAM: `127.0.0.1:${portOf('mcp')}`,
      },
      port: await freePort(),
      dir: adminDir,
    });
    try {
      const res = await request(`${withAdmin.url}/admin/v1/users?limit=1`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ upstream: 'authz', url: '/admin/v1/users?limit=1' });
    } finally {
      await withAdmin.stop();
      await rm(adminDir, { recursive: true, force: true });
    }
  });

  it("answers /healthz itself, so the services' health endpoints stay private", async () => {
    const before = seen.length;
    const res = await request(`${gateway.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', service: 'gateway' });
    expect(seen.length).toBe(before);
  });

  it('passes Host and X-Forwarded-Proto/Host/For/Port to the service', async () => {
    const before = seen.length;
    await request(`${gateway.url}/oauth/jwks.json`, {
      headers: { host: 'auth.example.test:8443', 'x-forwarded-for': '203.0.113.7' },
    });
    const { headers } = seen[before]!;
    expect(headers.host).toBe('auth.example.test:8443');
    expect(headers['x-forwarded-host']).toBe('auth.example.test:8443');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-port']).toBe(new URL(gateway.url).port);
    // The gateway is the edge: the client's own claim is replaced by the address the gateway saw,
    // so the services (which trust one hop) cannot be told another client address.
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-real-ip']).toBe('127.0.0.1');
  });

  it('refuses a body over the limit with 413 before it reaches the service', async () => {
    const before = seen.length;
    const res = await request(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(2 * 1024 * 1024, 'a'),
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
    expect(seen.length).toBe(before);
  });

  it('carries bodies and answers larger than its memory buffers (temporary files work)', async () => {
    const before = seen.length;
    const res = await request(`${gateway.url}/oauth/token?pad=600000`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=x&filler=${'y'.repeat(300_000)}`,
    });
    expect(res.status).toBe(200);
    expect(res.json<{ pad: string }>().pad).toHaveLength(600_000);
    expect(seen.slice(before).map((s) => s.upstream)).toEqual(['authz']);
  });

  it('streams MCP Server-Sent Events as they come (no buffering)', async () => {
    const res = await fetch(`${gateway.url}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    // The upstream holds the stream open: this read returns only if the gateway passes the first
    // event on without waiting for the end.
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: first');
    releaseStream!();
    while (!(await reader.read()).done);
  });

  it('rate limits POST /oauth/register per client address with a JSON 429', async () => {
    const burst = Number(gatewayEnv.GATEWAY_REGISTER_BURST);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof request>> | undefined;
    // A source address of its own, so earlier tests' requests do not count. The margin over the
    // burst outlasts what the rate refills while the loop runs (30r/m: one per 2 s).
    for (let i = 0; i < burst + 10; i++) {
      const res = await postJson(`${gateway.url}/oauth/register`, {}, { localAddress: '127.0.0.2' });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(429);
    expect(limited!.headers['content-type']).toMatch(/application\/json/);
    expect(limited!.headers['retry-after']).toBeDefined();
    expect(limited!.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.any(String),
    });

    // Another address, and reading a registration, are not limited.
    expect((await postJson(`${gateway.url}/oauth/register`, {}, { localAddress: '127.0.0.3' })).status).toBe(
      200,
    );
    expect(
      (await request(`${gateway.url}/oauth/register/client-1`, { localAddress: '127.0.0.2' })).status,
    ).toBe(200);
  });

  it('rate limits POST /oauth/login, but not showing the login page', async () => {
    const burst = Number(gatewayEnv.GATEWAY_LOGIN_BURST);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < burst + 5; i++) {
      const res = await request(`${gateway.url}/oauth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=a&password=b',
        localAddress: '127.0.0.4',
      });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(429);
    expect(limited!.headers['content-type']).toMatch(/text\/html/);
    expect(limited!.body).toMatch(/too many sign-in attempts/i);
    expect((await request(`${gateway.url}/oauth/login`, { localAddress: '127.0.0.4' })).status).toBe(200);
  });

  /**
   * Sends `count` requests from one address, cycling through `paths`: when every spelling draws on
   * the same per-address budget, the last requests (of different spellings) are all refused; if a
   * spelling escaped the limit, or had a budget of its own, they would not be.
   */
  async function cycle(
    paths: string[],
    count: number,
    localAddress: string,
    send: (url: string, localAddress: string) => ReturnType<typeof request>,
  ) {
    const answers: { path: string; res: Awaited<ReturnType<typeof request>> }[] = [];
    for (let i = 0; i < count; i++) {
      const path = paths[i % paths.length]!;
      answers.push({ path, res: await send(`${gateway.url}${path}`, localAddress) });
    }
    return answers;
  }

  it('rate limits POST /oauth/register in every spelling of the path, on one budget', async () => {
    const paths = ['/oauth/register', '/oauth/register/', '/oauth/Register', '/OAuth/REGISTER/'];
    const burst = Number(gatewayEnv.GATEWAY_REGISTER_BURST);
    const before = seen.length;
    const answers = await cycle(paths, burst + 2 * paths.length, '127.0.0.5', (url, localAddress) =>
      postJson(url, {}, { localAddress }),
    );
    expect(answers[0]!.res.status).toBe(200);
    const last = answers.slice(-paths.length);
    expect(last.map((a) => a.path).sort()).toEqual([...paths].sort());
    for (const { res } of last) {
      expect(res.status).toBe(429);
      expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    }
    // What got through went to registration, with the path as the client spelled it.
    const passed = seen.slice(before);
    expect(passed.length).toBeGreaterThan(0);
    expect(new Set(passed.map((s) => s.upstream))).toEqual(new Set(['registration']));
  });

  it('rate limits POST /oauth/login in every spelling of the path, on one budget', async () => {
    const paths = ['/oauth/login', '/oauth/login/', '/oauth/Login', '/oauth/LOGIN/'];
    const burst = Number(gatewayEnv.GATEWAY_LOGIN_BURST);
    const answers = await cycle(paths, burst + 2 * paths.length, '127.0.0.6', (url, localAddress) =>
      request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=a&password=b',
        localAddress,
      }),
    );
    expect(answers[0]!.res.status).toBe(200);
    for (const { res } of answers.slice(-paths.length)) {
      expect(res.status).toBe(429);
      expect(res.body).toMatch(/too many sign-in attempts/i);
    }
  });

  it('rate limits every request to /oauth/authorize (each stores a pending request)', async () => {
    const paths = ['/oauth/authorize?client_id=c', '/oauth/authorize/', '/oauth/Authorize'];
    const burst = Number(gatewayEnv.GATEWAY_AUTHORIZE_BURST);
    expect(burst).toBeGreaterThan(0);
    const answers = await cycle(paths, burst + 2 * paths.length, '127.0.0.7', (url, localAddress) =>
      request(url, { localAddress }),
    );
    expect(answers[0]!.res.status).toBe(200);
    for (const { res } of answers.slice(-paths.length)) {
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body).toMatch(/too many/i);
    }
    // Its own budget: the login page and the token endpoint still answer this address.
    expect((await request(`${gateway.url}/oauth/login`, { localAddress: '127.0.0.7' })).status).toBe(200);
    expect(
      (await request(`${gateway.url}/oauth/token`, { method: 'POST', body: '', localAddress: '127.0.0.7' }))
        .status,
    ).toBe(200);
  });

  it('answers 503 in the OAuth error shape when a service is down', async () => {
    const registration = servers.get('registration')!;
    registration.closeAllConnections();
    await new Promise((r) => registration.close(r));
    const res = await request(`${gateway.url}/oauth/register/client-1`);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  });
});
