import { describe, expect, it } from 'vitest';
import { OAuthError } from '@mcp-auth/core';
import {
  requireOperatorForClientCredentials,
  requireOperatorForClientCredentialsUpdate,
} from './client-credentials-operator.ts';
import { oauthErrorOf } from '../../../test/support/oauth-error.ts';

const IAT = 'i'.repeat(44);
const DEFAULT_SCOPE = ['mcp:tools'];
const CC = ['client_credentials'];

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return err.status;
    throw err;
  }
  return undefined;
}

describe('requireOperatorForClientCredentials (registration)', () => {
  it('leaves authorization_code registration open, with or without a configured token', () => {
    expect(
      oauthErrorOf(() => requireOperatorForClientCredentials(['authorization_code'], undefined, IAT)),
    ).toBe(undefined);
    expect(
      oauthErrorOf(() => requireOperatorForClientCredentials(['authorization_code'], 'Bearer x', undefined)),
    ).toBe(undefined);
  });

  it('refuses client_credentials entirely when no initial access token is configured', () => {
    expect(oauthErrorOf(() => requireOperatorForClientCredentials(CC, `Bearer ${IAT}`, undefined))).toBe(
      'invalid_client_metadata',
    );
  });

  it('answers 401 invalid_token for a missing, malformed or wrong bearer token', () => {
    for (const header of [undefined, '', IAT, `Basic ${IAT}`, `Bearer ${IAT}x`, `Bearer ${IAT.slice(1)}`]) {
      const register = () => requireOperatorForClientCredentials(CC, header, IAT);
      expect(oauthErrorOf(register)).toBe('invalid_token');
      expect(statusOf(register)).toBe(401);
    }
  });

  it('accepts the configured token', () => {
    expect(oauthErrorOf(() => requireOperatorForClientCredentials(CC, `Bearer ${IAT}`, IAT))).toBe(undefined);
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentials(['authorization_code', ...CC], `bearer  ${IAT}`, IAT),
      ),
    ).toBe(undefined);
  });
});

describe('requireOperatorForClientCredentialsUpdate', () => {
  const update = (grantTypes: readonly string[], scope?: string) => ({ grantTypes, scope });
  const registered = (grantTypes: readonly string[], scope: string | null = 'mcp:tools') => ({
    grantTypes,
    scope,
  });

  it('lets a client keep client_credentials it was registered with, and narrow its scope', () => {
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(
          update(CC, 'mcp:tools'),
          registered(CC),
          IAT,
          DEFAULT_SCOPE,
        ),
      ),
    ).toBe(undefined);
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(update(CC), registered(CC, null), IAT, DEFAULT_SCOPE),
      ),
    ).toBe(undefined);
  });

  it('refuses widening the scope of a client_credentials client (only the operator may)', () => {
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(
          update(CC, 'mcp:tools mcp:identity'),
          registered(CC),
          IAT,
          DEFAULT_SCOPE,
        ),
      ),
    ).toBe('invalid_client_metadata');
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(
          update(CC, 'mcp:identity'),
          registered(CC, null),
          IAT,
          DEFAULT_SCOPE,
        ),
      ),
    ).toBe('invalid_client_metadata');
  });

  it('refuses adding client_credentials in an update', () => {
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(
          update(CC),
          registered(['authorization_code']),
          IAT,
          DEFAULT_SCOPE,
        ),
      ),
    ).toBe('invalid_client_metadata');
  });

  it('refuses client_credentials when no initial access token is configured', () => {
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(update(CC), registered(CC), undefined, DEFAULT_SCOPE),
      ),
    ).toBe('invalid_client_metadata');
  });

  it('leaves updates without client_credentials alone', () => {
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(
          update(['authorization_code'], 'mcp:identity'),
          registered(CC),
          undefined,
          DEFAULT_SCOPE,
        ),
      ),
    ).toBe(undefined);
  });

  it('counts a client with no registered scope as holding the policy’s default scope', () => {
    const files = ['files:read'];
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(update(CC, 'files:read'), registered(CC, null), IAT, files),
      ),
    ).toBe(undefined);
    expect(
      oauthErrorOf(() =>
        requireOperatorForClientCredentialsUpdate(update(CC, 'mcp:tools'), registered(CC, null), IAT, files),
      ),
    ).toBe('invalid_client_metadata');
  });
});
