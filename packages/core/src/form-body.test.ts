import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from './errors.ts';
import { readForm } from './form-body.ts';

let server: Server;
let url: string;

/** Answers with the parsed form, or with the error readForm threw (status, code, description). */
beforeAll(async () => {
  server = createServer((req, res) => {
    readForm(req, { limit: 1024, parameterLimit: 5 }).then(
      (params) => res.end(JSON.stringify({ params })),
      (err: unknown) => {
        const e = err as { status?: number; type?: string };
        res.statusCode = e.status ?? 500;
        res.end(JSON.stringify(e instanceof OAuthError ? e.toJSON() : { type: e.type }));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => server.close());

const FORM = 'application/x-www-form-urlencoded';

async function send(
  body: string | Buffer | undefined,
  headers: Record<string, string> = { 'content-type': FORM },
) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('readForm', () => {
  it('decodes the form: percent escapes, + as space, one string per parameter, empty ones omitted', async () => {
    expect(await send('grant_type=client_credentials&scope=a+b%3Ac&resource=&x=%ZZ')).toEqual({
      status: 200,
      body: { params: { grant_type: 'client_credentials', scope: 'a b:c', x: '%ZZ' } },
    });
    expect((await send('a=%C3%A9', { 'content-type': `${FORM}; charset=UTF-8` })).body).toEqual({
      params: { a: 'é' },
    });
  });

  it('keeps a leading "?" as part of the first name', async () => {
    expect((await send('?grant_type=x')).body).toEqual({ params: { '?grant_type': 'x' } });
  });

  it('an empty body is an empty form', async () => {
    expect(await send('')).toEqual({ status: 200, body: { params: {} } });
  });

  it('refuses a repeated parameter, even sent empty (RFC 6749 §3.2)', async () => {
    expect((await send('code=a&code=b')).body).toMatchObject({
      error: 'invalid_request',
      error_description: 'parameter code must not be repeated',
    });
    expect((await send('code=&code=b')).status).toBe(400);
  });

  it('refuses NUL in a name or a value', async () => {
    for (const body of ['token=a%00b', 'to%00ken=a']) {
      expect((await send(body)).body).toMatchObject({
        error_description: 'the request contains a NUL character',
      });
    }
  });

  it('refuses anything that is not a form', async () => {
    const notForms: Record<string, string>[] = [
      {},
      { 'content-type': 'application/json' },
      { 'content-type': 'bogus/;;' },
    ];
    for (const headers of notForms) {
      const r = await send('a=b', headers);
      expect(r).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: `the body must be ${FORM}` },
      });
    }
  });

  it('refuses another charset and compressed bodies with 415 (RFC 6749 Appendix B: UTF-8)', async () => {
    expect((await send('a=b', { 'content-type': `${FORM}; charset=iso-8859-1` })).status).toBe(415);
    const gzip = await send(gzipSync('a=b'), { 'content-type': FORM, 'content-encoding': 'gzip' });
    expect(gzip).toEqual({
      status: 415,
      body: { error: 'invalid_request', error_description: 'unsupported body encoding' },
    });
    expect((await send('a=b', { 'content-type': FORM, 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('413 past the byte limit or the parameter limit', async () => {
    expect((await send(`a=${'x'.repeat(2000)}`)).body).toEqual({ type: 'entity.too.large' });
    expect((await send('a=1&b=2&c=3&d=4&e=5&f=6')).body).toEqual({
      error: 'invalid_request',
      error_description: 'too many parameters',
    });
    expect((await send('a=1&b=2&c=3&d=4&e=5')).status).toBe(200);
  });
});
