import { randomUUID } from 'node:crypto';
import {
  formatScope,
  randomToken,
  sha256,
  signAccessTokenOffThread,
  type AccessTokenClaims,
  type Prisma,
  type SigningKey,
} from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** The answer, and the access token's claims (for the audit log: no need to decode it again). */
export interface IssuedTokens {
  response: TokenResponse;
  claims: AccessTokenClaims;
}

export interface Grant {
  subject: string;
  clientId: string;
  scopes: readonly string[];
  resource: string;
  familyId: string;
  /** When the person typed their password before this grant started (OIDC auth_time). */
  authTime?: Date | null;
}

export async function tokenResponse(
  config: AuthzConfig,
  signingKey: SigningKey,
  grant: Grant,
  refreshToken?: string,
): Promise<IssuedTokens> {
  const { token, claims } = await signAccessTokenOffThread(signingKey, {
    issuer: config.issuer,
    subject: grant.subject,
    audience: grant.resource,
    clientId: grant.clientId,
    scopes: grant.scopes,
    sid: grant.familyId,
    ttlSeconds: config.accessTokenTtl,
    authTime: grant.authTime,
  });
  const response: TokenResponse = {
    access_token: token,
    token_type: 'Bearer',
    expires_in: config.accessTokenTtl,
    scope: formatScope(grant.scopes),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
  return { response, claims };
}

/**
 * What a new refresh token's row takes from the moment it is issued, not from its grant: the token,
 * its id and hash, and its expiry. Each rotation slides the expiry by REFRESH_TOKEN_TTL, but never
 * past the grant's absolute end (`familyExpiresAt`, set when the grant starts, so with a code's
 * redemption), so a stolen grant cannot be kept alive forever.
 */
export function newRefreshTokenValues(config: AuthzConfig, now: Date, familyExpiresAt?: Date | null) {
  const familyEnd = familyExpiresAt ?? new Date(now.getTime() + config.refreshTokenMaxLifetime * 1000);
  const sliding = now.getTime() + config.refreshTokenTtl * 1000;
  const token = randomToken();
  return {
    token,
    id: randomUUID(),
    tokenHash: sha256(token),
    expiresAt: new Date(Math.min(sliding, familyEnd.getTime())),
    familyExpiresAt: familyEnd,
  };
}

/** Stores a new refresh token of the grant in the transaction; returns the token and its row id. */
export async function createRefreshToken(
  tx: Prisma.TransactionClient,
  config: AuthzConfig,
  grant: Grant & { userId: string; familyExpiresAt?: Date | null },
  now: Date,
): Promise<{ token: string; id: string }> {
  const { token, ...values } = newRefreshTokenValues(config, now, grant.familyExpiresAt);
  await tx.refreshToken.create({
    data: {
      ...values,
      familyId: grant.familyId,
      clientId: grant.clientId,
      userId: grant.userId,
      scopes: [...grant.scopes],
      resource: grant.resource,
      authTime: grant.authTime ?? null,
    },
    select: { id: true },
  });
  return { token, id: values.id };
}
