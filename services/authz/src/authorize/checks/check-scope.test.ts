import { BASE_SCOPE, IDENTITY_SCOPE } from '@mcp-auth/core';
import { describe, expect, it } from 'vitest';
import { checkScope } from './check-scope.ts';

const open = { scope: null };

describe('checkScope', () => {
  it('grants the base scope when none is asked for', () => {
    expect(checkScope(open, {})).toEqual([BASE_SCOPE]);
    expect(checkScope(open, { scope: '' })).toEqual([BASE_SCOPE]);
  });

  it('returns the requested supported scopes, without duplicates', () => {
    expect(checkScope(open, { scope: `${IDENTITY_SCOPE} ${BASE_SCOPE} ${IDENTITY_SCOPE}` })).toEqual([
      IDENTITY_SCOPE,
      BASE_SCOPE,
    ]);
  });

  it('refuses a scope we do not support with invalid_scope', () => {
    expect(() => checkScope(open, { scope: `${BASE_SCOPE} admin` })).toThrow(
      expect.objectContaining({ error: 'invalid_scope', description: 'unsupported scope: admin' }),
    );
  });

  it('keeps a client within the scope it registered', () => {
    const limited = { scope: BASE_SCOPE };
    expect(checkScope(limited, { scope: BASE_SCOPE })).toEqual([BASE_SCOPE]);
    expect(() => checkScope(limited, { scope: IDENTITY_SCOPE })).toThrow(
      expect.objectContaining({ error: 'invalid_scope' }),
    );
    expect(() => checkScope({ scope: IDENTITY_SCOPE }, {})).toThrow(
      expect.objectContaining({ error: 'invalid_scope' }),
    );
  });
});
