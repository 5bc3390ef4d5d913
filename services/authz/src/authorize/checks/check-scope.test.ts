import { BASE_SCOPE, IDENTITY_SCOPE } from '@mcp-auth/core';
import { describe, expect, it } from 'vitest';
import { checkScope } from './check-scope.ts';

describe('checkScope', () => {
  it('grants the base scope when none is asked for', () => {
    expect(checkScope({})).toEqual([BASE_SCOPE]);
    expect(checkScope({ scope: '' })).toEqual([BASE_SCOPE]);
  });

  it('returns the requested supported scopes, without duplicates', () => {
    expect(checkScope({ scope: `${IDENTITY_SCOPE} ${BASE_SCOPE} ${IDENTITY_SCOPE}` })).toEqual([
      IDENTITY_SCOPE,
      BASE_SCOPE,
    ]);
  });

  it('refuses a scope we do not support with invalid_scope', () => {
    expect(() => checkScope({ scope: `${BASE_SCOPE} admin` })).toThrow(
      expect.objectContaining({ error: 'invalid_scope', description: 'unsupported scope: admin' }),
    );
  });

  it('lets a client step up beyond the scope it registered (a person consents to each scope)', () => {
    expect(checkScope({ scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` })).toEqual([BASE_SCOPE, IDENTITY_SCOPE]);
  });
});
