import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../scripts/stack/stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../support/infra.ts';
import { run } from '../support/processes.ts';
import { loginListEchoLogout } from './cli-chain.ts';
import { postJson, request } from './http.ts';

/**
 * The compose topology as local processes (`npm run stack`): the three services with their compose
 * environment, behind nginx with the compose gateway configuration, on this machine's PostgreSQL
 * and Redis. Everything a client does goes through the gateway port, as with `docker compose up`.
 */
describe('local stack (the compose topology as processes)', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  let stack: Stack;
  let browser: Browser | undefined;
  let configDir: string;
  const user = { username: 'stack-user', password: 'a long enough password for the stack' };

  beforeAll(async () => {
    [db, redis] = await Promise.all([startPostgres(), startRedis()]);
    stack = await startStack({
      databaseUrl: db.url,
      redisUrl: redis.url,
      vars: { REDIS_KEY_PREFIX: redis.keyPrefix },
    });
    configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cli-'));
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(stack?.output().slice(-30_000));
  });

  afterAll(async () => {
    await browser?.close();
    const codes = await stack?.stop();
    // Graceful shutdown: every process stopped by SIGTERM exits 0.
    if (codes) expect(codes).toEqual({ gateway: 0, registration: 0, authz: 0, mcp: 0 });
    await Promise.all([db?.stop(), redis?.stop()]);
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('serves the authorization server metadata through the gateway, with PUBLIC_URL as issuer', async () => {
    const res = await request(`${stack.url}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      issuer: stack.url,
      registration_endpoint: `${stack.url}/oauth/register`,
      token_endpoint: `${stack.url}/oauth/token`,
    });
  });

  it('serves the protected resource metadata through the gateway', async () => {
    const res = await request(`${stack.url}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ resource: stack.mcpUrl, authorization_servers: [stack.url] });
  });

  it('registers a client through the gateway and reads it back (RFC 7591/7592)', async () => {
    const res = await postJson(`${stack.url}/oauth/register`, {
      redirect_uris: ['http://127.0.0.1/callback'],
      client_name: 'stack test',
      token_endpoint_auth_method: 'none',
    });
    expect(res.status).toBe(201);
    const client = res.json<{ client_id: string; registration_access_token: string }>();
    expect(client.client_id).toEqual(expect.any(String));
    const read = await request(`${stack.url}/oauth/register/${client.client_id}`, {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    expect(read.json()).toMatchObject({ client_id: client.client_id, client_name: 'stack test' });
  });

  it('answers an anonymous MCP request with 401 naming the metadata at the public URL', async () => {
    const res = await postJson(stack.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain(
      `resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('keeps the services’ operator endpoints off the gateway', async () => {
    for (const path of ['/metrics', '/readyz', '/no/such/path']) {
      const res = await request(`${stack.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    }
    // /healthz through the gateway is the gateway's own, not a service's.
    expect((await request(`${stack.url}/healthz`)).json()).toEqual({ status: 'ok', service: 'gateway' });
    // The services do serve them, on ports compose does not publish.
    expect((await request(`${stack.services.authz.url}/readyz`)).status).toBe(200);
  });

  it('the CLI logs in through the gateway (Chromium on the pages), lists tools, calls echo and logs out', async () => {
    const added = await run(
      process.execPath,
      ['--import', 'tsx', 'services/authz/src/user-cli.ts', 'add', user.username],
      { DATABASE_URL: db.url },
      `${user.password}\n`,
    );
    expect(added.code, added.stderr).toBe(0);

    browser = await launchBrowser();
    await loginListEchoLogout({ mcpUrl: stack.mcpUrl, publicUrl: stack.url, user, configDir, browser });
  });

  // Last: it stops the registration service.
  it('SIGTERM lets a request in flight finish, refuses new connections, and exits 0', async () => {
    const registration = stack.services.registration;
    const body = JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'], client_name: 'slow client' });
    const socket = connect(registration.port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    const ended = once(socket, 'end');
    // Expect: 100-continue makes the server confirm it has taken the request before the body comes.
    socket.write(
      `POST /oauth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    await until(() => received.includes('100 Continue'), 'the 100 Continue');
    socket.write(body.slice(0, 20));

    registration.process.child.kill('SIGTERM');
    await until(() => /shutting down/.test(registration.process.output()), 'the shutdown log line');
    await expect(fetch(`${registration.url}/healthz`)).rejects.toThrow();

    socket.write(body.slice(20));
    await ended;
    const response = received.slice(received.indexOf('\r\n\r\n') + 4);
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toMatchObject({
      client_name: 'slow client',
      client_id: expect.any(String),
    });
    expect(await registration.process.exited).toBe(0);
  });
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
