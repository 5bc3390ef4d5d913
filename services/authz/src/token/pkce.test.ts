import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { s256ChallengeOf } from './pkce.ts';

const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');
const verifyPkceS256 = (verifier: string, challenge: string) => s256ChallengeOf(verifier) === challenge;

describe('s256ChallengeOf', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('accepts the RFC 7636 example', () => {
    expect(verifyPkceS256(verifier, challenge)).toBe(true);
  });

  it('refuses another verifier', () => {
    expect(verifyPkceS256(`${verifier.slice(0, -1)}Y`, challenge)).toBe(false);
  });

  it('refuses the challenge itself sent as verifier (plain method)', () => {
    expect(verifyPkceS256(challenge, challenge)).toBe(false);
  });

  it.each([
    ['42 characters', 'a'.repeat(42)],
    ['129 characters', 'a'.repeat(129)],
    ['a character outside the unreserved set', `${'a'.repeat(42)}+`],
    ['a space', `${'a'.repeat(42)} `],
  ])('refuses a malformed verifier even when its hash matches: %s', (_name, bad) => {
    expect(verifyPkceS256(bad, challengeOf(bad))).toBe(false);
  });

  it('accepts both length limits', () => {
    for (const v of ['a'.repeat(43), '~._-'.repeat(32)]) expect(verifyPkceS256(v, challengeOf(v))).toBe(true);
  });
});
