import { describe, expect, it } from 'vitest';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';
import { checkRedirectUri, checkRedirectUrisPresent } from './redirect-uris.ts';

describe('checkRedirectUri', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=1',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:53123/callback',
    'http://[::1]:8080/cb',
    'http://localhost:3000/cb',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
    // Desktop MCP clients' own schemes (RFC 8252 §7.1 without the reverse-domain advice).
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'myapp:/callback',
    'Cursor://anysphere.cursor-mcp/oauth/callback',
  ])('accepts %s', (uri) => {
    expect(oauthErrorOf(() => checkRedirectUri(uri))).toBeUndefined();
  });

  it.each([
    ['non-loopback http', 'http://app.example.com/callback'],
    ['http on a look-alike of localhost', 'http://localhost.example.com/cb'],
    ['http on a private address', 'http://10.0.0.1/cb'],
    ['a fragment', 'https://app.example.com/cb#frag'],
    ['an empty fragment', 'https://app.example.com/cb#'],
    ['userinfo', 'https://user:pw@app.example.com/cb'],
    ['an empty userinfo', 'https://@app.example.com/cb'],
    ['a relative reference', '/callback'],
    ['no scheme', 'app.example.com/callback'],
    ['surrounding whitespace', ' https://app.example.com/cb'],
    ['an embedded newline', 'https://app.example.com/c\nb'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,hi'],
    ['file:', 'file:///etc/passwd'],
    ['javascript: in another case', 'JavaScript:alert(1)'],
    ['javascript: behind a slash-slash', 'javascript://example.com/%0Aalert(1)'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['data: in upper case', 'DATA:text/html,hi'],
    ['blob:', 'blob:https://app.example.com/uuid'],
    ['about:', 'about:blank'],
    ['view-source:', 'view-source:https://app.example.com/'],
    ['ftp:', 'ftp://files.example.com/cb'],
    ['ws:', 'ws://127.0.0.1:8080/cb'],
    ['mailto:', 'mailto:someone@example.com'],
    ['intent:', 'intent://cb#Intent;scheme=x;end'],
    ['an https look-alike scheme', 'https+evil://app.example.com/cb'],
    ['an http look-alike scheme', 'http.evil:/cb'],
    ['http spelt in upper case', 'HTTP://127.0.0.1:8080/cb'],
    ['https spelt in mixed case', 'Https://app.example.com/cb'],
    ['non-loopback HTTP in upper case', 'HTTP://app.example.com/cb'],
    ['a bare scheme', 'myapp:'],
  ])('rejects %s with invalid_redirect_uri', (_what, uri) => {
    expect(oauthErrorOf(() => checkRedirectUri(uri))).toBe('invalid_redirect_uri');
  });
});

describe('checkRedirectUrisPresent', () => {
  it('requires one for the authorization_code grant', () => {
    expect(oauthErrorOf(() => checkRedirectUrisPresent([], ['authorization_code']))).toBe(
      'invalid_redirect_uri',
    );
  });

  it('requires none for a client_credentials-only client', () => {
    expect(oauthErrorOf(() => checkRedirectUrisPresent([], ['client_credentials']))).toBeUndefined();
  });
});
