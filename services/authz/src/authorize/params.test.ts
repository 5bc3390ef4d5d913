import { OAuthError } from '@mcp-auth/core';
import { describe, expect, it } from 'vitest';
import { readParams, single } from './params.ts';

describe('single', () => {
  it('returns the one value', () => {
    expect(single({ state: 'abc' }, 'state')).toBe('abc');
  });

  it('treats a missing or empty parameter as omitted (RFC 6749 §3.1)', () => {
    expect(single({}, 'state')).toBeUndefined();
    expect(single({ state: '' }, 'state')).toBeUndefined();
  });

  it('refuses a repeated parameter with invalid_request', () => {
    expect(() => single({ state: ['a', 'b'] }, 'state')).toThrow(
      expect.objectContaining({ error: 'invalid_request', description: 'state must not be repeated' }),
    );
  });
});

describe('readParams', () => {
  it('accepts strings and arrays of strings, and no body at all', () => {
    expect(readParams({ a: 'x', b: ['y', 'z'] })).toEqual({ a: 'x', b: ['y', 'z'] });
    expect(readParams(undefined)).toEqual({});
  });

  it('refuses nested values', () => {
    expect(() => readParams({ a: { b: 'c' } })).toThrow(OAuthError);
  });
});
