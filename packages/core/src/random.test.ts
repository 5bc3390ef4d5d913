import { describe, expect, it } from 'vitest';
import { matchesSha256, randomClientId, randomToken, sha256 } from './random.ts';

describe('matchesSha256', () => {
  it('accepts the value whose hash is stored, and nothing else', () => {
    const secret = randomToken();
    expect(matchesSha256(secret, sha256(secret))).toBe(true);
    expect(matchesSha256(`${secret}x`, sha256(secret))).toBe(false);
    expect(matchesSha256('', sha256(secret))).toBe(false);
  });

  it('a stored value that is not a SHA-256 digest matches nothing', () => {
    expect(matchesSha256('a', '')).toBe(false);
    expect(matchesSha256('a', 'not-a-digest')).toBe(false);
    expect(matchesSha256('a', sha256('a').slice(0, 20))).toBe(false);
  });
});

describe('randomClientId', () => {
  it('is 128 bits of base64url that never starts with a dash (it would read as a command-line option)', () => {
    const ids = Array.from({ length: 2000 }, randomClientId);
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
