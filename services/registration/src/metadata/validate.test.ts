import { describe, expect, it } from 'vitest';
import { BASE_SCOPE, DEFAULT_POLICY_FILE, resolvePolicy, type OAuthError } from '@mcp-auth/core';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';
import { LIMITS } from './schema.ts';
import { validateClientMetadata } from './validate.ts';

const redirect = 'http://127.0.0.1:33418/callback';
const policy = resolvePolicy(DEFAULT_POLICY_FILE, { PUBLIC_URL: 'https://as.example' });

describe('validateClientMetadata', () => {
  it('applies the RFC 7591 §2 defaults', () => {
    expect(validateClientMetadata({ redirect_uris: [redirect] }, policy)).toEqual({
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
  });

  it('keeps every supported field and drops unknown ones', () => {
    const metadata = validateClientMetadata(
      {
        redirect_uris: [redirect, redirect],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: BASE_SCOPE,
        client_name: '  My Client ',
        client_uri: 'https://example.com',
        logo_uri: 'https://example.com/logo.png',
        tos_uri: 'https://example.com/tos',
        policy_uri: 'https://example.com/policy',
        contacts: ['ops@example.com'],
        software_id: 'b7a1c3',
        software_version: '1.2.3',
        jwks_uri: 'https://example.com/jwks',
        is_admin: true,
        __proto__: { polluted: true },
      },
      policy,
    );
    expect(metadata).toEqual({
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: BASE_SCOPE,
      client_name: 'My Client',
      client_uri: 'https://example.com',
      logo_uri: 'https://example.com/logo.png',
      tos_uri: 'https://example.com/tos',
      policy_uri: 'https://example.com/policy',
      contacts: ['ops@example.com'],
      software_id: 'b7a1c3',
      software_version: '1.2.3',
    });
    expect(Object.keys(metadata)).not.toContain('jwks_uri');
  });

  it('treats null as absent', () => {
    expect(
      validateClientMetadata({ redirect_uris: [redirect], client_name: null, logo_uri: null }, policy),
    ).not.toHaveProperty('client_name');
  });

  it('registers a confidential client_credentials client without redirect URIs', () => {
    expect(
      validateClientMetadata(
        {
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_post',
        },
        policy,
      ),
    ).toEqual({
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
    });
  });

  it.each<[string, unknown, string]>([
    ['a body that is not an object', [redirect], 'invalid_client_metadata'],
    ['missing redirect_uris', {}, 'invalid_redirect_uri'],
    ['empty redirect_uris', { redirect_uris: [] }, 'invalid_redirect_uri'],
    ['redirect_uris as a string', { redirect_uris: redirect }, 'invalid_redirect_uri'],
    ['a non-string redirect URI', { redirect_uris: [42] }, 'invalid_redirect_uri'],
    [
      'too many redirect URIs',
      { redirect_uris: Array.from({ length: 21 }, (_, i) => `${redirect}${i}`) },
      'invalid_redirect_uri',
    ],
    [
      'a huge redirect URI',
      { redirect_uris: [`https://a.example/${'x'.repeat(LIMITS.uri)}`] },
      'invalid_redirect_uri',
    ],
    ['non-loopback http', { redirect_uris: ['http://example.com/cb'] }, 'invalid_redirect_uri'],
    [
      'an unknown auth method',
      { redirect_uris: [redirect], token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
    ],
    [
      'an unknown grant type',
      { redirect_uris: [redirect], grant_types: ['password'] },
      'invalid_client_metadata',
    ],
    ['empty grant types', { redirect_uris: [redirect], grant_types: [] }, 'invalid_client_metadata'],
    [
      'an implicit response type',
      { redirect_uris: [redirect], response_types: ['token'] },
      'invalid_client_metadata',
    ],
    [
      'code without its grant',
      { redirect_uris: [redirect], grant_types: ['client_credentials'], response_types: ['code'] },
      'invalid_client_metadata',
    ],
    [
      'a public client_credentials client',
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' },
      'invalid_client_metadata',
    ],
    [
      'a huge client_name',
      { redirect_uris: [redirect], client_name: 'x'.repeat(LIMITS.text + 1) },
      'invalid_client_metadata',
    ],
    ['a blank client_name', { redirect_uris: [redirect], client_name: '   ' }, 'invalid_client_metadata'],
    [
      'a non-string client_name',
      { redirect_uris: [redirect], client_name: { en: 'x' } },
      'invalid_client_metadata',
    ],
    [
      'a huge scope',
      { redirect_uris: [redirect], scope: 'mcp:tools '.repeat(200) },
      'invalid_client_metadata',
    ],
    [
      'too many contacts',
      { redirect_uris: [redirect], contacts: Array.from({ length: 11 }, (_, i) => `${i}@x.example`) },
      'invalid_client_metadata',
    ],
    [
      'an http logo',
      { redirect_uris: [redirect], logo_uri: 'http://example.com/logo.png' },
      'invalid_client_metadata',
    ],
  ])('rejects %s', (_what, body, error) => {
    expect(oauthErrorOf(() => validateClientMetadata(body, policy))).toBe(error);
  });

  it('drops scopes the policy does not declare instead of failing (RFC 7591 §3.2.1)', () => {
    expect(
      validateClientMetadata({ redirect_uris: [redirect], scope: `openid ${BASE_SCOPE}` }, policy),
    ).toMatchObject({
      scope: BASE_SCOPE,
    });
    expect(
      validateClientMetadata({ redirect_uris: [redirect], scope: 'openid profile' }, policy),
    ).not.toHaveProperty('scope');
  });

  it('names the field in the description', () => {
    try {
      validateClientMetadata({ redirect_uris: [redirect], grant_types: ['password'] }, policy);
      expect.unreachable();
    } catch (err) {
      expect((err as OAuthError).description).toMatch(/^grant_types/);
    }
  });
});
