import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE, resolvePolicy } from '@mcp-auth/core';
import {
  checkMetadataDocumentUrl,
  isMetadataDocumentClientId,
  MetadataDocumentError,
  validateMetadataDocument,
} from './metadata-document.ts';

const ID = 'https://app.example/oauth/client.json';
const policy = resolvePolicy(DEFAULT_POLICY_FILE, { PUBLIC_URL: 'https://as.example' });
const doc = (extra: Record<string, unknown> = {}) => ({
  client_id: ID,
  client_name: 'Example',
  redirect_uris: ['http://127.0.0.1:3000/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  ...extra,
});

const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof MetadataDocumentError) return err.message;
    throw err;
  }
  throw new Error('expected a MetadataDocumentError');
};

describe('isMetadataDocumentClientId', () => {
  it('takes https URLs as document URLs, and nothing else', () => {
    expect(isMetadataDocumentClientId(ID)).toBe(true);
    expect(isMetadataDocumentClientId('aB3dE5fG7hI9')).toBe(false);
    expect(isMetadataDocumentClientId('http://app.example/client.json')).toBe(false);
  });
});

describe('checkMetadataDocumentUrl', () => {
  it('accepts a canonical https URL with a path (and a port)', () => {
    expect(checkMetadataDocumentUrl('https://app.example:8443/client.json').host).toBe('app.example:8443');
  });

  it.each([
    ['https://app.example/', /must have a path/],
    ['https://app.example', /must have a path/],
    ['https://user:pw@app.example/c.json', /user information/],
    ['https://app.example/c.json#frag', /fragment/],
    ['https://app.example/a/../c.json', /canonical/],
    ['https://APP.example/c.json', /canonical/],
    ['https://app.example:443/c.json', /canonical/],
    ['https://2130706433/c.json', /canonical/],
    ['https://', /not a valid URL/],
  ])('refuses %s', (url, message) => {
    expect(failure(() => checkMetadataDocumentUrl(url))).toMatch(message);
  });
});

describe('validateMetadataDocument', () => {
  it('returns the metadata, public by default', () => {
    const metadata = validateMetadataDocument(ID, doc(), policy);
    expect(metadata).toMatchObject({
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1:3000/callback'],
      client_name: 'Example',
    });
  });

  it('accepts private_key_jwt with a jwks_uri', () => {
    const metadata = validateMetadataDocument(
      ID,
      doc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example/jwks.json' }),
      policy,
    );
    expect(metadata.jwks_uri).toBe('https://app.example/jwks.json');
  });

  it.each([
    ['not an object', [], /not a JSON object/],
    ['another client_id', doc({ client_id: 'https://app.example/other.json' }), /exactly its own URL/],
    ['a client_id differing only by a trailing slash', doc({ client_id: `${ID}/` }), /exactly its own URL/],
    ['a client_secret', doc({ client_secret: 's' }), /client_secret/],
    [
      'client_secret_post',
      doc({ token_endpoint_auth_method: 'client_secret_post' }),
      /none or private_key_jwt/,
    ],
    [
      'client_secret_jwt',
      doc({ token_endpoint_auth_method: 'client_secret_jwt' }),
      /none or private_key_jwt/,
    ],
    ['private_key_jwt without keys', doc({ token_endpoint_auth_method: 'private_key_jwt' }), /jwks/],
    ['no redirect URIs', doc({ redirect_uris: [] }), /redirect_uris/],
  ])('refuses %s', (_what, body, message) => {
    expect(failure(() => validateMetadataDocument(ID, body, policy))).toMatch(message);
  });
});
