import { describe, expect, it } from 'vitest';
import { checkRedirectUri } from './check-redirect-uri.ts';

const one = { redirectUris: ['https://app.example/cb?x=1'] };
const loopback = { redirectUris: ['http://127.0.0.1:1234/callback'] };
const two = { redirectUris: ['https://app.example/cb', 'https://app.example/other'] };

describe('checkRedirectUri', () => {
  it('accepts an exact match and returns it as sent', () => {
    expect(checkRedirectUri(one, { redirect_uri: 'https://app.example/cb?x=1' })).toBe(
      'https://app.example/cb?x=1',
    );
  });

  it('accepts a loopback IP redirect URI on another port (RFC 8252 §7.3)', () => {
    expect(checkRedirectUri(loopback, { redirect_uri: 'http://127.0.0.1:5555/callback' })).toBe(
      'http://127.0.0.1:5555/callback',
    );
  });

  it('refuses anything but an exact match', () => {
    for (const uri of [
      'https://app.example/cb',
      'https://app.example/cb?x=1&y=2',
      'https://app.example/cb/?x=1',
      'https://evil.example/cb?x=1',
      'http://127.0.0.1:5555/other',
      'not a uri',
    ]) {
      expect(() =>
        checkRedirectUri(
          { redirectUris: [...one.redirectUris, ...loopback.redirectUris] },
          { redirect_uri: uri },
        ),
      ).toThrow(expect.objectContaining({ error: 'invalid_redirect_uri' }));
    }
  });

  it('uses the only registered URI when redirect_uri is omitted', () => {
    expect(checkRedirectUri(one, {})).toBe('https://app.example/cb?x=1');
  });

  it('requires redirect_uri when several are registered', () => {
    expect(() => checkRedirectUri(two, {})).toThrow(
      expect.objectContaining({ error: 'invalid_redirect_uri' }),
    );
  });

  it('refuses a repeated redirect_uri', () => {
    expect(() =>
      checkRedirectUri(two, { redirect_uri: ['https://app.example/cb', 'https://app.example/cb'] }),
    ).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });
});
