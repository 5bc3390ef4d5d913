import { REVOCATION_MARGIN_SECONDS, type AccessTokenClaims, type RevocationEntry } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';

/** One access token, until it expires. */
export const accessTokenEntry = (claims: Pick<AccessTokenClaims, 'jti' | 'exp'>): RevocationEntry => ({
  kind: 'jti',
  value: claims.jti,
  expiresAt: new Date((claims.exp + REVOCATION_MARGIN_SECONDS) * 1000),
});

/**
 * A whole grant (`sid`): no access token of the family was issued before now, or can be issued
 * after (its refresh tokens are revoked first), so none outlives now + the access token lifetime.
 */
export const familyEntry = (
  familyId: string,
  config: Pick<AuthzConfig, 'accessTokenTtl'>,
  now = Date.now(),
): RevocationEntry => ({
  kind: 'sid',
  value: familyId,
  expiresAt: new Date(now + (config.accessTokenTtl + REVOCATION_MARGIN_SECONDS) * 1000),
});

/**
 * A sign-out everywhere: every token of the user (`sub`) issued up to now is refused, whatever
 * its grant. None of them outlives now + the access token lifetime, nor then does the entry.
 */
export const signOutEntry = (
  userId: string,
  config: Pick<AuthzConfig, 'accessTokenTtl'>,
  now = Date.now(),
): RevocationEntry => ({
  kind: 'user',
  value: userId,
  notBefore: new Date(now),
  expiresAt: new Date(now + (config.accessTokenTtl + REVOCATION_MARGIN_SECONDS) * 1000),
});
