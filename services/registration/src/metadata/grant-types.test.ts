import { describe, expect, it } from 'vitest';
import {
  checkClientCredentialsIsConfidential,
  checkGrantResponseConsistency,
  checkRefreshTokenHasSource,
  grantDefaults,
} from './grant-types.ts';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';

describe('grantDefaults', () => {
  it('defaults to authorization_code and code (RFC 7591 §2)', () => {
    expect(grantDefaults(undefined, undefined)).toEqual({
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
    });
  });

  it('gives a client_credentials-only client no response types', () => {
    expect(grantDefaults(['client_credentials'], undefined)).toEqual({
      grantTypes: ['client_credentials'],
      responseTypes: [],
    });
  });

  it('keeps what the client sent', () => {
    expect(grantDefaults(['authorization_code', 'refresh_token'], [])).toEqual({
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: [],
    });
  });
});

describe('checkGrantResponseConsistency', () => {
  it('accepts authorization_code with code', () => {
    expect(
      oauthErrorOf(() => checkGrantResponseConsistency(['authorization_code'], ['code'])),
    ).toBeUndefined();
  });

  it('accepts client_credentials without response types', () => {
    expect(oauthErrorOf(() => checkGrantResponseConsistency(['client_credentials'], []))).toBeUndefined();
  });

  it('rejects authorization_code without code', () => {
    expect(oauthErrorOf(() => checkGrantResponseConsistency(['authorization_code'], []))).toBe(
      'invalid_client_metadata',
    );
  });

  it('rejects code without authorization_code', () => {
    expect(oauthErrorOf(() => checkGrantResponseConsistency(['client_credentials'], ['code']))).toBe(
      'invalid_client_metadata',
    );
  });
});

describe('checkRefreshTokenHasSource', () => {
  it('rejects refresh_token without authorization_code', () => {
    expect(oauthErrorOf(() => checkRefreshTokenHasSource(['refresh_token', 'client_credentials']))).toBe(
      'invalid_client_metadata',
    );
  });

  it('accepts refresh_token with authorization_code', () => {
    expect(
      oauthErrorOf(() => checkRefreshTokenHasSource(['authorization_code', 'refresh_token'])),
    ).toBeUndefined();
  });
});

describe('checkClientCredentialsIsConfidential', () => {
  it('rejects client_credentials for a public client', () => {
    expect(oauthErrorOf(() => checkClientCredentialsIsConfidential(['client_credentials'], 'none'))).toBe(
      'invalid_client_metadata',
    );
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'accepts client_credentials with %s',
    (m) => {
      expect(
        oauthErrorOf(() => checkClientCredentialsIsConfidential(['client_credentials'], m)),
      ).toBeUndefined();
    },
  );

  it('lets a public client use authorization_code', () => {
    expect(
      oauthErrorOf(() => checkClientCredentialsIsConfidential(['authorization_code'], 'none')),
    ).toBeUndefined();
  });
});
