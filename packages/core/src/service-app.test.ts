import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strictApp, strictRouter } from './http.ts';
import { serviceApp } from './service-app.ts';

/**
 * Which client address a service sees. Behind the gateway (serviceApp) it is the gateway's own
 * X-Forwarded-For entry, the last one, never an earlier one a client wrote; without a gateway
 * (strictApp, as the all-in-one mode uses) the header is ignored.
 */
describe('client address', () => {
  const servers: Server[] = [];
  let behindGateway: string;
  let standalone: string;

  // Like a service: its createApp() (a strictApp of its own) mounted on the outer app.
  const withInnerApp = (outer: Express) => {
    const inner = strictApp();
    inner.get('/ip', (req, res) => void res.json({ ip: req.ip, ips: req.ips }));
    outer.use(inner);
    return outer;
  };
  const listen = async (app: Express) => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const ipOf = async (base: string, forwardedFor?: string) => {
    const res = await fetch(`${base}/ip`, {
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { ip: string; ips: string[] };
  };

  beforeAll(async () => {
    behindGateway = await listen(withInnerApp(serviceApp({})));
    standalone = await listen(withInnerApp(strictApp()));
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it('behind the gateway: the last X-Forwarded-For entry, and only that one hop', async () => {
    expect((await ipOf(behindGateway, '198.51.100.9')).ip).toBe('198.51.100.9');
    // A client's own claim ahead of the gateway's entry is not believed.
    const spoofed = await ipOf(behindGateway, '203.0.113.7, 198.51.100.9');
    expect(spoofed.ip).toBe('198.51.100.9');
    expect(spoofed.ips).toEqual(['198.51.100.9']);
    expect((await ipOf(behindGateway)).ip).toBe('127.0.0.1');
  });

  it('without a gateway (strictApp): X-Forwarded-For is ignored', async () => {
    const res = await ipOf(standalone, '203.0.113.7');
    expect(res.ip).toBe('127.0.0.1');
    expect(res.ips).toEqual([]);
  });
});

describe('strict routing', () => {
  let base: string;
  let server: Server;

  beforeAll(async () => {
    const app = strictApp();
    const router = strictRouter();
    router.get('/oauth/token', (_req, res) => void res.json({ router: true }));
    app.get('/mcp', (_req, res) => void res.json({ app: true }));
    app.use(router);
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  it.each([
    ['/mcp', 200],
    ['/mcp/', 404],
    ['/MCP', 404],
    ['/oauth/token', 200],
    ['/oauth/token/', 404],
    ['/oauth/Token', 404],
  ])('%s answers %i', async (path, status) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status).toBe(status);
  });

  it('does not name the framework', async () => {
    expect((await fetch(`${base}/mcp`)).headers.get('x-powered-by')).toBeNull();
  });
});
