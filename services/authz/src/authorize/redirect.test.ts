import { describe, expect, it } from 'vitest';
import { authorizationResponseUrl } from './redirect.ts';

describe('authorizationResponseUrl', () => {
  it('adds the parameters and keeps the registered query', () => {
    const url = new URL(
      authorizationResponseUrl('https://app.example/cb?tenant=a', {
        code: 'c d',
        state: 's&t',
        iss: 'https://as',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://app.example/cb');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'a',
      code: 'c d',
      state: 's&t',
      iss: 'https://as',
    });
  });

  it('leaves out undefined parameters', () => {
    expect(authorizationResponseUrl('http://127.0.0.1:5/cb', { code: 'x', state: undefined })).toBe(
      'http://127.0.0.1:5/cb?code=x',
    );
  });
});
