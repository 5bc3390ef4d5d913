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

  it('matches private-use scheme URIs exactly, never by port or case', () => {
    const cursor = ['cursor://anysphere.cursor-mcp/oauth/callback'];
    expect(redirectUriMatches(cursor, 'cursor://anysphere.cursor-mcp/oauth/callback')).toBe(true);
    expect(redirectUriMatches(cursor, 'cursor://anysphere.cursor-mcp:1/oauth/callback')).toBe(false);
    expect(redirectUriMatches(cursor, 'Cursor://anysphere.cursor-mcp/oauth/callback')).toBe(false);
  });

  it('lets only the port of a loopback IP redirect URI vary (RFC 8252 §7.3)', () => {
    expect(redirectUriMatches(registered, 'http://127.0.0.1:61234/callback')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1/callback')).toBe(true);
    expect(redirectUriMatches(registered, 'http://[::1]:4000/cb')).toBe(true);
    expect(redirectUriMatches(registered, 'http://127.0.0.1:61234/other')).toBe(false);
    expect(redirectUriMatches(registered, 'http://127.0.0.2:5000/callback')).toBe(false);
  });

  it('treats localhost like the IP literals: any port, same host, path and query', () => {
    const local = ['http://localhost:54321/callback', 'http://localhost:6274/oauth/callback?x=1'];
    expect(redirectUriMatches(local, 'http://localhost:61000/callback')).toBe(true);
    expect(redirectUriMatches(local, 'http://localhost/callback')).toBe(true);
    expect(redirectUriMatches(local, 'http://localhost:7000/oauth/callback?x=1')).toBe(true);
    expect(redirectUriMatches(local, 'http://localhost:7000/oauth/callback?x=2')).toBe(false);
    expect(redirectUriMatches(local, 'http://localhost:7000/oauth/callback')).toBe(false);
    expect(redirectUriMatches(local, 'http://localhost:61000/callback/')).toBe(false);
    expect(redirectUriMatches(local, 'http://127.0.0.1:54321/callback')).toBe(false);
    expect(redirectUriMatches(local, 'https://localhost:54321/callback')).toBe(false);
    expect(redirectUriMatches(local, 'http://LOCALHOST:54321/callback')).toBe(false);
    expect(redirectUriMatches(local, 'http://localhost.example:54321/callback')).toBe(false);
  });

  it('compares the path as sent, not as a parser would resolve it', () => {
    const local = ['http://127.0.0.1:1/callback'];
    expect(redirectUriMatches(local, 'http://127.0.0.1:2/x/../callback')).toBe(false);
    expect(redirectUriMatches(local, 'http://127.0.0.1:2/%63allback')).toBe(false);
    expect(redirectUriMatches(local, 'http://user@127.0.0.1:2/callback')).toBe(false);
  });

  it('treats an empty loopback path as "/" (VS Code registers http://127.0.0.1/)', () => {
    expect(redirectUriMatches(['http://127.0.0.1/'], 'http://127.0.0.1:33418/')).toBe(true);
    expect(redirectUriMatches(['http://127.0.0.1/'], 'http://127.0.0.1:33418')).toBe(true);
  });

  it('refuses ports outside 1–65535', () => {
    expect(redirectUriMatches(['http://127.0.0.1/cb'], 'http://127.0.0.1:0/cb')).toBe(false);
    expect(redirectUriMatches(['http://127.0.0.1/cb'], 'http://127.0.0.1:65536/cb')).toBe(false);
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['example.com', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.example']) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});
