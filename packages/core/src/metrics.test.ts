import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceApp } from './service-app.ts';

describe('service shell: health, readiness and metrics', () => {
  let base: string;
  let close: () => void;
  let dbUp = true;

  beforeAll(async () => {
    const app = serviceApp({
      postgres: async () => {
        if (!dbUp) throw new Error('connection refused');
      },
    });
    const inner = express.Router();
    inner.get('/things/:id', (_req, res) => void res.json({ ok: true }));
    app.use(inner);
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('reports readiness per dependency, naming the one that is down', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    dbUp = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { postgres: 'unavailable: connection refused' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    dbUp = true;
  });

  it('counts requests by route pattern, not by raw path', async () => {
    await fetch(`${base}/things/1`);
    await fetch(`${base}/things/2`);
    await fetch(`${base}/nowhere/${Math.random()}`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/things\/:id",status="200"\} 2/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toContain('oauth_tokens_issued_total');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
