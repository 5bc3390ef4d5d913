import { describe, expect, it } from 'vitest';
import { BASE_SCOPE, IDENTITY_SCOPE } from '@mcp-auth/core';
import { oauthErrorOf } from '../../../../test/support/oauth-error.ts';
import { normalizeScope } from './scope.ts';

describe('normalizeScope', () => {
  it('keeps supported scopes, deduplicated and single-spaced', () => {
    expect(normalizeScope(`${BASE_SCOPE}  ${IDENTITY_SCOPE} ${BASE_SCOPE}`)).toBe(
      `${BASE_SCOPE} ${IDENTITY_SCOPE}`,
    );
  });

  it('treats absent and blank as no registered scope', () => {
    expect(normalizeScope(undefined)).toBeUndefined();
    expect(normalizeScope('   ')).toBeUndefined();
  });

  it('rejects a scope the resource does not know', () => {
    expect(oauthErrorOf(() => normalizeScope(`${BASE_SCOPE} admin`))).toBe('invalid_client_metadata');
  });
});
