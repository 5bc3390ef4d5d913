import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkPkce } from './check-pkce.ts';

const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');

describe('checkPkce', () => {
  it('accepts an S256 challenge', () => {
    expect(checkPkce({ code_challenge: challenge, code_challenge_method: 'S256' })).toEqual({
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
  });

  it('requires a challenge', () => {
    expect(() => checkPkce({ code_challenge_method: 'S256' })).toThrow(
      expect.objectContaining({ error: 'invalid_request', description: 'code_challenge is required (PKCE)' }),
    );
  });

  it('refuses plain, and a missing method (which RFC 7636 would read as plain)', () => {
    for (const method of ['plain', undefined, 's256']) {
      expect(() =>
        checkPkce({ code_challenge: challenge, ...(method ? { code_challenge_method: method } : {}) }),
      ).toThrow(expect.objectContaining({ error: 'invalid_request' }));
    }
  });

  it('refuses challenges that are too short, too long or not base64url', () => {
    for (const bad of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}+`]) {
      expect(() => checkPkce({ code_challenge: bad, code_challenge_method: 'S256' })).toThrow(
        expect.objectContaining({ error: 'invalid_request' }),
      );
    }
    expect(
      checkPkce({ code_challenge: 'a'.repeat(128), code_challenge_method: 'S256' }).codeChallenge,
    ).toHaveLength(128);
  });
});
