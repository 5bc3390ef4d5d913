import { describe, expect, it } from 'vitest';
import { OAuthError } from '@mcp-auth/core';
import { parseBasicAuthorization } from './basic.ts';

const basic = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;

function failure(header: string): OAuthError {
  try {
    parseBasicAuthorization(header);
  } catch (err) {
    if (err instanceof OAuthError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('parseBasicAuthorization', () => {
  it('reads id and secret', () => {
    expect(parseBasicAuthorization(basic('client-1:s3cret'))).toEqual({
      clientId: 'client-1',
      clientSecret: 's3cret',
    });
  });

  it('form-urlencoded-decodes both parts (RFC 6749 §2.3.1)', () => {
    // id "a:b c", secret "p%ss+:wörd"
    const header = basic(`${encodeURIComponent('a:b c')}:p%25ss%2B%3Aw%C3%B6rd`);
    expect(parseBasicAuthorization(header)).toEqual({ clientId: 'a:b c', clientSecret: 'p%ss+:wörd' });
    expect(parseBasicAuthorization(basic('my+client:x+y'))).toEqual({
      clientId: 'my client',
      clientSecret: 'x y',
    });
  });

  it('splits at the first colon only', () => {
    expect(parseBasicAuthorization(basic('id:sec:ret')).clientSecret).toBe('sec:ret');
  });

  it('accepts the scheme in any case', () => {
    const header = basic('id:secret').replace('Basic', 'bAsIc');
    expect(parseBasicAuthorization(header).clientId).toBe('id');
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['no credentials', 'Basic'],
    ['not base64', 'Basic !!!not-base64!!!'],
    ['base64url alphabet', `Basic ${Buffer.from('id:sec>?>').toString('base64url')}`],
    ['truncated base64', 'Basic aWQ6c2VjcmV'],
    ['no colon', basic('just-an-id')],
    ['empty id', basic(':secret')],
    ['empty secret', basic('id:')],
    ['broken percent escape', basic('id:%zz')],
    ['invalid UTF-8', `Basic ${Buffer.from([0x69, 0x64, 0x3a, 0xff, 0xfe]).toString('base64')}`],
  ])('refuses %s with 401 invalid_client and a Basic challenge', (_name, header) => {
    const err = failure(header);
    expect(err.error).toBe('invalid_client');
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toMatch(/^Basic /);
  });
});
