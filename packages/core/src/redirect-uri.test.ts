import { describe, expect, it } from 'vitest';
import { isLoopbackHost, redirectUriMatches } from './redirect-uri.ts';

describe('redirect URI matching', () => {
  const registered = ['https://app.example/cb', 'http://127.0.0.1:5000/callback', 'http://[::1]/cb'];

  it('matches exactly', () => {
    expect(redirectUriMatches(registered, 'https://app.example/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'https://app.example/cb/')).toBe(false);
    expect(redirectUriMatches(registered, 'https://app.example/cb?x=1')).toBe(false);
    expect(redirectUriMatches(registered, 'https://app.example:8443/cb')).toBe(false);
    expect(redirectUriMatches(registered, 'HTTPS://APP.EXAMPLE/cb')).toBe(false);
  });

  it('lets only the port of a loopback IP redirect URI vary (RFC 8252 §7.3)', () => {
    expect(redirectUriMatches(registered, 'http://127.0.0.1:61234/callback')).toBe(true);
    expect(redirectUriMatches(registered, 'http://[::1]:4000/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:61234/other')).toBe(false);
    expect(redirectUriMatches(registered, 'http://127.0.0.2:5000/callback')).toBe(false);
    expect(redirectUriMatches(['http://localhost:5000/cb'], 'http://localhost:6000/cb')).toBe(false);
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['example.com', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.example']) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});
