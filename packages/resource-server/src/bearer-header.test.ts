import { describe, expect, it } from 'vitest';
import { parseBearerHeader } from './bearer-header.ts';

describe('parseBearerHeader', () => {
  it('reads the token, whatever the case of the scheme', () => {
    expect(parseBearerHeader('Bearer abc.def-ghi_jkl~+/==')).toEqual({
      kind: 'token',
      token: 'abc.def-ghi_jkl~+/==',
    });
    expect(parseBearerHeader('bearer abc')).toEqual({ kind: 'token', token: 'abc' });
    expect(parseBearerHeader('BEARER   abc  ')).toEqual({ kind: 'token', token: 'abc' });
  });

  it('treats an absent, empty or token-less header as missing credentials', () => {
    expect(parseBearerHeader(undefined).kind).toBe('missing');
    expect(parseBearerHeader('').kind).toBe('missing');
    expect(parseBearerHeader('   ').kind).toBe('missing');
    expect(parseBearerHeader('Bearer').kind).toBe('missing');
    expect(parseBearerHeader('Bearer ').kind).toBe('missing');
  });

  it('names another scheme so the client learns to use Bearer', () => {
    const parsed = parseBearerHeader('Basic dXNlcjpwYXNz');
    expect(parsed).toEqual({ kind: 'other-scheme', reason: expect.stringContaining('Basic') as string });
    expect(parseBearerHeader('DPoP abc').kind).toBe('other-scheme');
  });

  it('refuses bearer credentials that are not a single b64token', () => {
    expect(parseBearerHeader('Bearer abc def').kind).toBe('malformed');
    expect(parseBearerHeader('Bearer a"b').kind).toBe('malformed');
    expect(parseBearerHeader('Bearer abc=def').kind).toBe('malformed');
    expect(parseBearerHeader('Bearer\tabc').kind).toBe('malformed');
    expect(parseBearerHeader('Bearer=abc').kind).toBe('malformed');
  });
});
