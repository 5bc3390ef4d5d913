import { describe, expect, it } from 'vitest';
import { formParams } from './form.ts';

describe('formParams', () => {
  it('keeps single values and drops empty ones (RFC 6749 §3.2)', () => {
    expect(formParams({ grant_type: 'x', scope: '' })).toEqual({ grant_type: 'x' });
  });

  it('refuses a repeated parameter', () => {
    expect(() => formParams({ code: ['a', 'b'] })).toThrow(/code must not be repeated/);
  });

  it('refuses a missing body', () => {
    expect(() => formParams(undefined)).toThrow(/missing request body/);
  });
});
