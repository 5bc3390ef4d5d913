import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startAllInOneServer, type AllInOneServer } from '../support/all-in-one-server.ts';

/**
 * "No 500 for anything a client can send": every public endpoint gets a battery of malformed
 * requests (broken encodings, NUL bytes, wrong types and content types, oversized and nested
 * bodies, odd Authorization headers). Each must be answered with a 4xx (or a 2xx/3xx where the
 * input is merely ignored), never a 5xx, and JSON error bodies must have the RFC shape.
 */

let server: AllInOneServer;
let base: string;
const errors: string[] = [];

beforeAll(async () => {
  // Any error the apps log (an unhandled one, say) is a bug even if the status looked right. The
  // apps log through child loggers, so the lines are caught where they are written.
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  server = await startAllInOneServer({ logger });
  base = server.base;
});

afterAll(() => server?.close());

const GET = [
  '/oauth/authorize',
  '/oauth/login',
  '/oauth/consent',
  '/oauth/logout',
  '/oauth/register/x',
  '/oauth/jwks.json',
  '/mcp',
];
const POST = [
  '/oauth/register',
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/introspect',
  '/oauth/login',
  '/oauth/consent',
  '/oauth/logout',
  '/oauth/authorize',
  '/mcp',
];

const queries = [
  'client_id=%00&response_type=code',
  'client_id=%E0%A4%A&redirect_uri=%',
  'client_id=a&client_id=b&request=1&request=2',
  'client_id[]=x&request[a]=b',
  `client_id=${'x'.repeat(20_000)}`,
  'request=%F0%9F%92%A9&scope=%00',
];

const deep = (n: number) => `${'{"a":'.repeat(n)}"x"${'}'.repeat(n)}`;
const bodies: { name: string; type?: string; body: string | Uint8Array; encoding?: string }[] = [
  { name: 'broken JSON', type: 'application/json', body: '{"redirect_uris": [' },
  { name: 'JSON null', type: 'application/json', body: 'null' },
  { name: 'JSON array', type: 'application/json', body: '[1,2,3]' },
  {
    name: 'JSON with wrong types',
    type: 'application/json',
    body: '{"redirect_uris":"x","grant_types":{},"client_name":42,"jsonrpc":7,"method":[]}',
  },
  {
    name: 'JSON with NUL',
    type: 'application/json',
    body: '{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"a\\u0000b"}',
  },
  { name: 'deep JSON', type: 'application/json', body: deep(5000) },
  {
    name: 'large JSON',
    type: 'application/json',
    body: JSON.stringify({ client_name: 'x'.repeat(3_000_000) }),
  },
  {
    name: 'form with NUL',
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=authorization_code&code=%00&client_id=%00&token=%00&request=%00&username=%00',
  },
  {
    name: 'form with broken escapes',
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=%&token=%E0%A4%A&request=%ZZ',
  },
  {
    name: 'form with repeated params',
    type: 'application/x-www-form-urlencoded',
    body: 'grant_type=a&grant_type=b&token=1&token=2',
  },
  {
    name: 'form with 5000 params',
    type: 'application/x-www-form-urlencoded',
    body: Array.from({ length: 5000 }, (_, i) => `p${i}=1`).join('&'),
  },
  { name: 'utf-16 charset', type: 'application/x-www-form-urlencoded; charset=utf-16', body: 'token=abc' },
  { name: 'bogus gzip', type: 'application/json', body: 'not gzip at all', encoding: 'gzip' },
  { name: 'real gzip of garbage', type: 'application/json', body: gzipSync('{{{{'), encoding: 'gzip' },
  { name: 'unknown encoding', type: 'application/json', body: '{}', encoding: 'br-weird' },
  { name: 'no content type', body: 'grant_type=client_credentials' },
  { name: 'text/plain', type: 'text/plain', body: 'hello' },
];

const authorizations = [
  'Basic !!!not-base64!!!',
  `Basic ${Buffer.from('a%00b:secret').toString('base64')}`,
  `Basic ${Buffer.from('no-colon').toString('base64')}`,
  'Bearer',
  'Bearer a b c',
  `Bearer ${'x'.repeat(10_000)}`,
  'Bearer eyJhbGciOiJub25lIn0.e30.',
  'Digest username="x"',
];

async function expectNo5xx(label: string, url: string, init: RequestInit): Promise<void> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  const text = await res.text();
  expect(res.status, `${label}: ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400 && (res.headers.get('content-type') ?? '').includes('application/json')) {
    const body = JSON.parse(text) as { error?: unknown; jsonrpc?: unknown };
    // OAuth endpoints answer RFC 6749 errors; /mcp answers JSON-RPC errors for body problems.
    expect(typeof body.error === 'string' || body.jsonrpc === '2.0', `${label}: ${text.slice(0, 200)}`).toBe(
      true,
    );
  }
}

describe('no 5xx for anything a client can send', { timeout: 120_000 }, () => {
  it('malformed query strings', async () => {
    for (const path of GET) {
      for (const q of queries) await expectNo5xx(`GET ${path}?${q.slice(0, 40)}`, `${base}${path}?${q}`, {});
    }
  });

  it('malformed bodies', async () => {
    for (const path of POST) {
      for (const b of bodies) {
        const headers: Record<string, string> = {};
        if (b.type) headers['content-type'] = b.type;
        if (b.encoding) headers['content-encoding'] = b.encoding;
        if (path === '/mcp') headers.accept = 'application/json, text/event-stream';
        await expectNo5xx(`POST ${path} ${b.name}`, `${base}${path}`, {
          method: 'POST',
          headers,
          body: b.body,
        });
      }
    }
    for (const method of ['PUT', 'DELETE']) {
      for (const b of bodies) {
        await expectNo5xx(`${method} /oauth/register/%ZZ ${b.name}`, `${base}/oauth/register/%ZZ`, {
          method,
          headers: { ...(b.type ? { 'content-type': b.type } : {}), authorization: 'Bearer x' },
          body: b.body,
        });
        await expectNo5xx(`${method} /oauth/register/x ${b.name}`, `${base}/oauth/register/x`, {
          method,
          headers: { ...(b.type ? { 'content-type': b.type } : {}), authorization: 'Bearer x' },
          body: b.body,
        });
      }
    }
  });

  it('odd Authorization headers', async () => {
    for (const authorization of authorizations) {
      const form = { 'content-type': 'application/x-www-form-urlencoded', authorization };
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        await expectNo5xx(`${path} ${authorization.slice(0, 30)}`, `${base}${path}`, {
          method: 'POST',
          headers: form,
          body: 'grant_type=client_credentials&token=abc',
        });
      }
      await expectNo5xx(`/mcp ${authorization.slice(0, 30)}`, `${base}/mcp`, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
      await expectNo5xx(`/oauth/register/x ${authorization.slice(0, 30)}`, `${base}/oauth/register/x`, {
        headers: { authorization },
      });
    }
  });

  it('logged no unhandled error while doing so', () => {
    expect(errors).toEqual([]);
  });
});
