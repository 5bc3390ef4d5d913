import { describe, expect, it } from 'vitest';
import { checkResponseType } from './check-response-type.ts';

describe('checkResponseType', () => {
  it('accepts code', () => {
    expect(checkResponseType({ response_type: 'code' })).toBe('code');
  });

  it('refuses implicit and hybrid flows with unsupported_response_type', () => {
    for (const rt of ['token', 'code token', 'id_token', 'CODE']) {
      expect(() => checkResponseType({ response_type: rt })).toThrow(
        expect.objectContaining({ error: 'unsupported_response_type' }),
      );
    }
  });

  it('requires response_type', () => {
    expect(() => checkResponseType({})).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });
});
