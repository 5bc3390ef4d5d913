import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAuthzConfig } from '../../../../test/support/authz-config.ts';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './session-cookie.ts';

// Express writes the header; these tests read what a browser would receive.
const http = testAuthzConfig('http://127.0.0.1:8080');
const https = testAuthzConfig('https://auth.example');
const configs = { http, https };
const expires = new Date('2030-01-02T03:04:05Z');

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.get('/set/:config', (req, res) => {
    setSessionCookie(res, 'v/1', expires, configs[req.params.config as keyof typeof configs]);
    res.end();
  });
  app.get('/clear/:config', (req, res) => {
    clearSessionCookie(res, configs[req.params.config as keyof typeof configs]);
    res.end();
  });
  app.get('/read', (req, res) => {
    res.json({ http: readSessionCookie(req, http) ?? null, https: readSessionCookie(req, https) ?? null });
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

const setCookie = async (path: string) => (await fetch(`${base}${path}`)).headers.getSetCookie();

describe('the session cookie', () => {
  it('over http: HttpOnly, SameSite=Lax, scoped to /oauth, persistent until the absolute end', async () => {
    const [cookie, ...more] = await setCookie('/set/http');
    expect(more).toEqual([]);
    expect(cookie).toBe(
      'mcp_auth_session=v%2F1; Path=/oauth; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; SameSite=Lax',
    );
  });

  it('over https: __Host- prefixed, Secure, Path=/ and no Domain (what the prefix requires)', async () => {
    const [cookie] = await setCookie('/set/https');
    expect(cookie).toBe(
      '__Host-mcp_auth_session=v%2F1; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('is cleared with the attributes it was set with', async () => {
    const [plain] = await setCookie('/clear/http');
    expect(plain).toMatch(
      /^mcp_auth_session=; Path=\/oauth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
    );
    const [secure] = await setCookie('/clear/https');
    expect(secure).toMatch(
      /^__Host-mcp_auth_session=; Path=\/; Expires=Thu, 01 Jan 1970 .*; Secure; SameSite=Lax$/,
    );
  });

  it('is read by its own name only', async () => {
    const read = async (cookie: string) => (await fetch(`${base}/read`, { headers: { cookie } })).json();
    expect(await read('mcp_auth_session=a%2Fb; __Host-mcp_auth_session=c')).toEqual({
      http: 'a/b',
      https: 'c',
    });
    expect(await read('other=1; mcp_auth_session=%E0%A4%A')).toEqual({ http: null, https: null });
  });
});
