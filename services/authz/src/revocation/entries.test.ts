import { describe, expect, it } from 'vitest';
import { REVOCATION_MARGIN_SECONDS } from '@mcp-auth/core';
import { accessTokenEntry, familyEntry, signOutEntry } from './entries.ts';

describe('revocation entries', () => {
  it('keeps an access token revoked until it expires, plus the margin', () => {
    expect(accessTokenEntry({ jti: 'j', exp: 1_000 })).toEqual({
      kind: 'jti',
      value: 'j',
      expiresAt: new Date((1_000 + REVOCATION_MARGIN_SECONDS) * 1000),
    });
  });

  it('keeps a grant revoked as long as any access token issued up to now can live', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(familyEntry('f', { accessTokenTtl: 900 }, now)).toEqual({
      kind: 'sid',
      value: 'f',
      expiresAt: new Date(now + (900 + REVOCATION_MARGIN_SECONDS) * 1000),
    });
  });

  it('refuses what a user was issued up to the sign-out, as long as any of it can live', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(signOutEntry('u', { accessTokenTtl: 900 }, now)).toEqual({
      kind: 'user',
      value: 'u',
      notBefore: new Date(now),
      expiresAt: new Date(now + (900 + REVOCATION_MARGIN_SECONDS) * 1000),
    });
  });
});
