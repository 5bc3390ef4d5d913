import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strictApp, type PrismaClient } from '@mcp-auth/core';
import { startAllInOneServer, type AllInOneServer } from '../support/all-in-one-server.ts';

/**
 * Every app matches its paths exactly: another case or a trailing slash is not the same endpoint.
 * A proxy in front (the gateway's rate limits) sees those as other paths, so if an app answered
 * them, they would be a way around the proxy's rules. Here they fall through every app to a
 * marker at the end, while the exact spelling is answered by the app (the control).
 */

let server: AllInOneServer;
let base: string;
let prisma: PrismaClient;

const FELL_THROUGH = 'fell_through';

beforeAll(async () => {
  server = await startAllInOneServer({
    wrap: (app) => {
      const root = strictApp();
      root.use(app);
      root.use((req, res) => void res.status(404).json({ error: FELL_THROUGH, path: req.originalUrl }));
      return root;
    },
  });
  ({ base, prisma } = server);
});

afterAll(() => server?.close());

const registration = JSON.stringify({
  client_name: 'strict routing',
  redirect_uris: ['http://127.0.0.1:9999/callback'],
  token_endpoint_auth_method: 'none',
});
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

// [method, exact path, other spellings, headers, body]
const endpoints: [string, string, string[], Record<string, string>, string | undefined][] = [
  [
    'POST',
    '/oauth/register',
    ['/oauth/register/', '/oauth/Register', '/OAUTH/REGISTER/'],
    json,
    registration,
  ],
  ['POST', '/oauth/token', ['/oauth/Token', '/oauth/token/'], form, 'grant_type=password'],
  ['POST', '/oauth/login', ['/oauth/Login', '/oauth/login/', '/oauth/LOGIN/'], form, 'username=a&password=b'],
  ['POST', '/oauth/logout', ['/oauth/Logout', '/oauth/logout/'], form, 'csrf_token=x'],
  [
    'GET',
    '/oauth/authorize?client_id=x',
    ['/oauth/Authorize?client_id=x', '/oauth/authorize/?client_id=x'],
    {},
    undefined,
  ],
  ['POST', '/oauth/revoke', ['/oauth/Revoke', '/oauth/revoke/'], form, 'token=x'],
  ['POST', '/oauth/introspect', ['/oauth/INTROSPECT', '/oauth/introspect/'], form, 'token=x'],
  ['GET', '/oauth/jwks.json', ['/oauth/JWKS.json', '/oauth/jwks.json/'], {}, undefined],
  [
    'GET',
    '/.well-known/oauth-authorization-server',
    ['/.well-known/OAuth-Authorization-Server', '/.well-known/oauth-authorization-server/'],
    {},
    undefined,
  ],
  ['POST', '/mcp', ['/MCP', '/mcp/', '/Mcp/'], json, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'],
];

const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  fetch(`${base}${path}`, { method, headers, body, redirect: 'manual' });

describe.each(endpoints)('%s %s', (method, exact, others, headers, body) => {
  it('is answered by its app at its exact path', async () => {
    const res = await send(method, exact, headers, body);
    expect(res.status).not.toBe(404);
    const text = await res.text();
    expect(text).not.toContain(FELL_THROUGH);
  });

  it.each(others)('%s is not that endpoint: it falls through every app (404)', async (path) => {
    const res = await send(method, path, headers, body);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: FELL_THROUGH, path });
  });
});

it('a registration sent to another spelling of the path stores nothing', async () => {
  const before = await prisma.oAuthClient.count();
  for (const path of ['/oauth/register/', '/oauth/Register']) {
    expect((await send('POST', path, json, registration)).status).toBe(404);
  }
  expect(await prisma.oAuthClient.count()).toBe(before);
  expect((await send('POST', '/oauth/register', json, registration)).status).toBe(201);
  expect(await prisma.oAuthClient.count()).toBe(before + 1);
});
