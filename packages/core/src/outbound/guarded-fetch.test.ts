import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  json,
  selfSignedCertificate,
  startDocumentServer,
  TEST_HOST,
  type DocumentServer,
  type TestCertificate,
} from '../../../../test/support/https-server.ts';
import {
  createGuardedFetcher,
  OutboundFetchError,
  type GuardedFetcherOptions,
  type ResolvedAddress,
} from './guarded-fetch.ts';

/**
 * Every request here goes to 127.0.0.1. Private and public addresses appear only as the answers of
 * an injected resolver, and are refused before any connection is made (the server's hit count
 * proves nothing was sent).
 */

let certificate: TestCertificate;
let server: DocumentServer;

beforeAll(async () => {
  certificate = await selfSignedCertificate();
  server = await startDocumentServer(certificate);
  server.route('/doc.json', json({ hello: 'world' }, { 'cache-control': 'max-age=60' }));
  server.route('/jwks', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' }).end('{"keys":[]}');
  });
  server.route('/redirect', (_req, res) => {
    res.writeHead(302, { location: '/doc.json' }).end();
  });
  server.route('/html', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
  });
  server.route('/no-type', (_req, res) => {
    res.writeHead(200).end('{}');
  });
  server.route('/broken', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":');
  });
  server.route('/gzip', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end('xx');
  });
  server.route('/large', json({ padding: 'x'.repeat(10_000) }));
  server.route('/large-chunked', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"padding":"');
    res.write('x'.repeat(10_000));
    res.end('"}');
  });
  server.route('/silent', () => {
    // Never answers: the fetch must give up on its own.
  });
  server.route('/server-error', (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
  });
});

afterAll(async () => {
  await server?.close();
  await certificate?.remove();
});

const resolverOf =
  (...addresses: string[]) =>
  async (): Promise<ResolvedAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

function fetcher(opts: Partial<GuardedFetcherOptions> = {}) {
  return createGuardedFetcher({ allowPrivateNetwork: true, ca: [certificate.cert], ...opts });
}

async function failure(promise: Promise<unknown>): Promise<OutboundFetchError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OutboundFetchError) return err;
    throw err;
  }
  throw new Error('expected the fetch to fail');
}

const MAX = 5000;

describe('guarded fetch: what it accepts', () => {
  it('fetches a JSON document over https and returns its headers', async () => {
    const res = await fetcher().getJson(`${server.origin}/doc.json`, { maxBytes: MAX });
    expect(res.body).toEqual({ hello: 'world' });
    expect(res.headers['cache-control']).toBe('max-age=60');
  });

  it('accepts application/…+json', async () => {
    const res = await fetcher().getJson(`${server.origin}/jwks`, { maxBytes: MAX });
    expect(res.body).toEqual({ keys: [] });
  });

  it('resolves a name once and connects to the address it checked', async () => {
    const asked: string[] = [];
    const f = fetcher({
      resolve: async (host) => {
        asked.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const res = await f.getJson(`https://${TEST_HOST}:${server.port}/doc.json`, { maxBytes: MAX });
    expect(res.body).toEqual({ hello: 'world' });
    // The name exists nowhere but in this resolver: the connection went to its answer.
    expect(asked).toEqual([TEST_HOST]);
  });
});

describe('guarded fetch: SSRF refusals (nothing is sent)', () => {
  it.each([
    ['loopback IPv4', '127.0.0.1'],
    ['loopback IPv6', '::1'],
    ['private 10/8', '10.0.0.5'],
    ['private 172.16/12', '172.20.1.1'],
    ['private 192.168/16', '192.168.0.1'],
    ['unique-local IPv6', 'fd00::1'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['link-local IPv6', 'fe80::1'],
    ['CGNAT', '100.64.1.1'],
    ['multicast', '239.1.1.1'],
    ['multicast IPv6', 'ff05::2'],
    ['unspecified', '0.0.0.0'],
    ['reserved', '240.1.2.3'],
    ['broadcast', '255.255.255.255'],
    ['IPv4-mapped IPv6 of loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped IPv6 of a private address', '::ffff:10.0.0.1'],
    ['NAT64 of a private address', '64:ff9b::a00:1'],
    ['6to4', '2002:a00:1::1'],
  ])('refuses a name that resolves to %s (%s)', async (_name, address) => {
    const before = server.totalHits();
    const f = fetcher({ allowPrivateNetwork: false, resolve: resolverOf(address) });
    const err = await failure(f.getJson(`https://${TEST_HOST}:${server.port}/doc.json`, { maxBytes: MAX }));
    expect(err.failure).toBe('address');
    expect(server.totalHits()).toBe(before);
  });

  it('refuses when any of the addresses is not public, even if the first one is', async () => {
    const f = fetcher({ allowPrivateNetwork: false, resolve: resolverOf('93.184.215.14', '10.0.0.1') });
    const err = await failure(f.getJson(`https://${TEST_HOST}/doc.json`, { maxBytes: MAX }));
    expect(err.failure).toBe('address');
    expect(err.message).toMatch(/10\.0\.0\.1 is a private address/);
  });

  it.each([
    ['dotted quad', '127.0.0.1'],
    ['decimal integer', '2130706433'],
    ['hexadecimal', '0x7f000001'],
    ['hexadecimal parts', '0x7f.0.0.1'],
    ['octal', '017700000001'],
    ['short form', '127.1'],
    ['IPv6 literal', '[::1]'],
    ['IPv4-mapped IPv6 literal', '[::ffff:127.0.0.1]'],
    ['localhost (resolved)', 'localhost'],
  ])('refuses the loopback %s form of the host (%s) without a resolver answer', async (_name, host) => {
    const before = server.totalHits();
    const err = await failure(
      fetcher({ allowPrivateNetwork: false }).getJson(`https://${host}:${server.port}/doc.json`, {
        maxBytes: MAX,
      }),
    );
    expect(err.failure).toBe('address');
    expect(server.totalHits()).toBe(before);
  });

  it('still refuses link-local with the private-network switch on', async () => {
    const f = fetcher({ allowPrivateNetwork: true, resolve: resolverOf('169.254.169.254') });
    expect((await failure(f.getJson(`https://${TEST_HOST}/x`, { maxBytes: MAX }))).failure).toBe('address');
  });

  it('refuses http, and URLs with user information', async () => {
    const f = fetcher();
    expect(
      (await failure(f.getJson(`http://127.0.0.1:${server.port}/doc.json`, { maxBytes: MAX }))).failure,
    ).toBe('url');
    expect(
      (await failure(f.getJson(`https://u:p@127.0.0.1:${server.port}/doc.json`, { maxBytes: MAX }))).failure,
    ).toBe('url');
    expect((await failure(f.getJson('not a url', { maxBytes: MAX }))).failure).toBe('url');
  });

  it('reports a name that does not resolve', async () => {
    const f = fetcher({
      resolve: async () => {
        throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      },
    });
    const err = await failure(f.getJson(`https://${TEST_HOST}/doc.json`, { maxBytes: MAX }));
    expect(err.failure).toBe('resolve');
    expect(err.message).toMatch(/ENOTFOUND/);
  });
});

describe('guarded fetch: what it refuses from the server', () => {
  const get = (path: string, maxBytes = MAX, opts: Partial<GuardedFetcherOptions> = {}) =>
    failure(fetcher(opts).getJson(`${server.origin}${path}`, { maxBytes }));

  it('does not follow redirects', async () => {
    const before = server.hits('/doc.json');
    const err = await get('/redirect');
    expect(err.failure).toBe('redirect');
    expect(server.hits('/doc.json')).toBe(before);
  });

  it('treats anything but 200 as an error', async () => {
    expect((await get('/missing')).failure).toBe('status');
    expect((await get('/server-error')).failure).toBe('status');
  });

  it('accepts only JSON', async () => {
    expect((await get('/html')).failure).toBe('content_type');
    expect((await get('/no-type')).failure).toBe('content_type');
    expect((await get('/gzip')).failure).toBe('content_type');
    expect((await get('/broken')).failure).toBe('invalid_json');
  });

  it('caps the size, announced or not', async () => {
    expect((await get('/large')).failure).toBe('too_large');
    expect((await get('/large-chunked')).failure).toBe('too_large');
  });

  it('gives up on a server that does not answer', async () => {
    const err = await get('/silent', MAX, { timeoutMs: 300 });
    expect(err.failure).toBe('timeout');
  });

  it('refuses a certificate it does not trust', async () => {
    const err = await failure(
      createGuardedFetcher({ allowPrivateNetwork: true }).getJson(`${server.origin}/doc.json`, {
        maxBytes: MAX,
      }),
    );
    expect(err.failure).toBe('network');
    expect(err.message).toMatch(/SELF_SIGNED|CERT/);
  });
});
