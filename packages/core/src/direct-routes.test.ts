import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { addDirectRoute, requestListener, type DirectHandler } from './direct-routes.ts';
import { strictApp } from './http.ts';
import { registry } from './metrics.ts';
import { serviceApp } from './service-app.ts';

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

async function listen(listener: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(listener!);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Says how it was reached: `via` is set by express middleware, which a direct answer never passes. */
const echo: DirectHandler = async (req, res, address) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ address, via: res.getHeader('x-via') ?? 'direct', url: req.url }));
};

/** An app whose middleware marks every request it sees, with an inner app holding the route. */
function outerWithInner(outer: Express, mountPath = '/'): Express {
  outer.use((_req, res, next) => {
    res.setHeader('x-via', 'express');
    next();
  });
  const inner = strictApp();
  addDirectRoute(inner, '/direct', echo);
  inner.get('/direct', (_req, res) => void res.json({ method: 'GET' }));
  outer.use(mountPath, inner);
  return outer;
}

const post = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers });
  expect(res.status).toBe(200);
  return (await res.json()) as { address: string; via: string; url: string };
};

describe('direct routes', () => {
  it('a POST to the path is answered ahead of express, query and all; other methods and paths go to express', async () => {
    const base = await listen(requestListener(outerWithInner(strictApp())));
    expect(await post(`${base}/direct?x=1`)).toEqual({
      address: '127.0.0.1',
      via: 'direct',
      url: '/direct?x=1',
    });
    expect(await (await fetch(`${base}/direct`)).json()).toEqual({ method: 'GET' });
    // Paths match exactly, as strictApp's routes do.
    expect((await fetch(`${base}/direct/`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/Direct`, { method: 'POST' })).status).toBe(404);
  });

  it('the same handler answers through express when the server listens with the app itself', async () => {
    const base = await listen(outerWithInner(strictApp()));
    expect((await post(`${base}/direct`)).via).toBe('express');
  });

  it('an app mounted below the root keeps its routes to express', async () => {
    const base = await listen(requestListener(outerWithInner(strictApp(), '/below')));
    expect((await post(`${base}/below/direct`)).via).toBe('express');
    expect((await fetch(`${base}/direct`, { method: 'POST' })).status).toBe(404);
  });

  it('routes added after the app was mounted are direct too', async () => {
    const outer = strictApp();
    const inner = strictApp();
    outer.use(inner);
    addDirectRoute(inner, '/later', echo);
    const base = await listen(requestListener(outer));
    expect((await post(`${base}/later`)).via).toBe('direct');
  });

  it("the client address follows the app's trust proxy setting, as req.ip does", async () => {
    const behindGateway = await listen(requestListener(outerWithInner(serviceApp({}))));
    const spoofed = await post(`${behindGateway}/direct`, { 'x-forwarded-for': '203.0.113.7, 198.51.100.9' });
    expect(spoofed).toMatchObject({ via: 'direct', address: '198.51.100.9' });
    const standalone = await listen(requestListener(outerWithInner(strictApp())));
    expect((await post(`${standalone}/direct`, { 'x-forwarded-for': '203.0.113.7' })).address).toBe(
      '127.0.0.1',
    );
  });

  it('counts direct answers in the HTTP metrics under their path', async () => {
    const count = async () =>
      (await registry.getSingleMetric('http_requests_total')!.get()).values.find(
        (v) => v.labels.route === '/direct' && v.labels.method === 'POST' && v.labels.status === '200',
      )?.value ?? 0;
    const before = await count();
    const base = await listen(requestListener(outerWithInner(strictApp())));
    await post(`${base}/direct`);
    await post(`${base}/direct`);
    expect(await count()).toBe(before + 2);
  });

  it('a handler that fails without answering closes the connection rather than leaving it hanging', async () => {
    const app = strictApp();
    addDirectRoute(app, '/broken', () => Promise.reject(new Error('bug')));
    const base = await listen(requestListener(app));
    await expect(fetch(`${base}/broken`, { method: 'POST' })).rejects.toThrow();
  });
});
