import { describe, expect, it } from 'vitest';
import { tokenParams } from './params.ts';
import { failureOf } from '../../../../test/support/oauth-error.ts';

describe('revocation and introspection parameters (RFC 7009 §2.1, RFC 7662 §2.1)', () => {
  it('requires the token', () => {
    const e = failureOf(() => tokenParams({ token_type_hint: 'access_token' }));
    expect({ error: e.error, status: e.status, description: e.description }).toEqual({
      error: 'invalid_request',
      status: 400,
      description: 'token: is required',
    });
  });

  it('refuses an absurdly long token before hashing or parsing it', () => {
    expect(failureOf(() => tokenParams({ token: 'x'.repeat(8193) })).description).toBe('token: is too long');
  });

  it('accepts known and unknown hints alike: the server may ignore them', () => {
    expect(tokenParams({ token: 't', token_type_hint: 'refresh_token' })).toEqual({
      token: 't',
      token_type_hint: 'refresh_token',
    });
    expect(tokenParams({ token: 't', token_type_hint: 'id_token' }).token).toBe('t');
    expect(tokenParams({ token: 't' })).toEqual({ token: 't' });
  });
});
