import { describe, expect, it } from 'vitest';
import { sha256, type OAuthClient } from '@mcp-auth/core';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';
import { checkUpdateFields } from './update-fields.ts';

const issuer = 'https://auth.example.com';
const createdAt = new Date('2026-01-02T03:04:05Z');
const client = {
  id: 'client-1',
  secretHash: sha256('the-secret'),
  secretExpiresAt: null,
  registrationAccessTokenHash: sha256('rat'),
  createdAt,
} as OAuthClient;
const current = { client, registrationAccessToken: 'rat', issuer };

describe('checkUpdateFields (RFC 7592 §2.2)', () => {
  it('accepts the client_id alone', () => {
    expect(oauthErrorOf(() => checkUpdateFields({ client_id: 'client-1' }, current))).toBeUndefined();
  });

  it('accepts a read response sent back unchanged', () => {
    const body = {
      client_id: 'client-1',
      client_secret: 'the-secret',
      registration_access_token: 'rat',
      registration_client_uri: `${issuer}/oauth/register/client-1`,
      client_secret_expires_at: 0,
      client_id_issued_at: Math.floor(createdAt.getTime() / 1000),
    };
    expect(oauthErrorOf(() => checkUpdateFields(body, current))).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing client_id', {}],
    ['another client_id', { client_id: 'client-2' }],
    ['a self-chosen client_secret', { client_id: 'client-1', client_secret: 'mine' }],
    ['a different registration_access_token', { client_id: 'client-1', registration_access_token: 'other' }],
    [
      'a different registration_client_uri',
      { client_id: 'client-1', registration_client_uri: 'https://evil.example/x' },
    ],
    ['a new client_secret_expires_at', { client_id: 'client-1', client_secret_expires_at: 1 }],
    ['a new client_id_issued_at', { client_id: 'client-1', client_id_issued_at: 1 }],
  ])('rejects %s with invalid_client_metadata', (_what, body) => {
    expect(oauthErrorOf(() => checkUpdateFields(body, current))).toBe('invalid_client_metadata');
  });

  it('rejects any client_secret from a public client', () => {
    const publicClient = { ...client, secretHash: null } as OAuthClient;
    expect(
      oauthErrorOf(() =>
        checkUpdateFields({ client_id: 'client-1', client_secret: '' }, { ...current, client: publicClient }),
      ),
    ).toBe('invalid_client_metadata');
  });
});
