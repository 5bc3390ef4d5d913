import { describe, expect, it } from 'vitest';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';
import { checkWebUrl } from './web-urls.ts';

describe('checkWebUrl', () => {
  it.each(['https://example.com', 'https://example.com/logo.png', 'http://127.0.0.1:8080/tos'])(
    'accepts %s',
    (url) => {
      expect(oauthErrorOf(() => checkWebUrl('client_uri', url))).toBeUndefined();
    },
  );

  it.each([
    'http://example.com',
    'javascript:alert(1)',
    'data:image/png;base64,AAAA',
    'https://user@example.com',
    'example.com',
    'com.example.app:/x',
  ])('rejects %s with invalid_client_metadata', (url) => {
    expect(oauthErrorOf(() => checkWebUrl('logo_uri', url))).toBe('invalid_client_metadata');
  });
});
