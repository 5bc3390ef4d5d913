import {
  PostgresRevocationStore,
  type AccessTokenClaims,
  type OAuthClient,
  type RefreshToken,
} from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { findToken } from '../token/find-token.ts';

/** RFC 7662 §2.2. Inactive tokens say nothing else (§2.2: "SHOULD NOT include other information"). */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      exp: number;
      iat: number;
      token_type: 'Bearer' | 'refresh_token';
      aud?: string;
      iss?: string;
      jti?: string;
    };

const INACTIVE = { active: false } as const;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * What the token is, for the client it was issued to. A token of another client is reported
 * inactive exactly like an unknown one, so no client can probe tokens it does not hold (§4).
 * Revocation is read from Postgres, the durable record: the authorization server does not need
 * Redis to answer, and Postgres is never behind it.
 */
export async function introspect(
  deps: AuthzDeps,
  client: OAuthClient,
  token: string,
  now = new Date(),
): Promise<IntrospectionResponse> {
  // No tolerance: "active" means usable now by the issuer's clock.
  const found = await findToken(deps, token, { clockToleranceSeconds: 0 });
  if (!found) return INACTIVE;
  if (found.type === 'access_token') return introspectAccessToken(deps, client, found.claims);
  return introspectRefreshToken(client, found.row, now);
}

async function introspectAccessToken(
  deps: AuthzDeps,
  client: OAuthClient,
  claims: AccessTokenClaims,
): Promise<IntrospectionResponse> {
  if (claims.client_id !== client.id) return INACTIVE;
  const durable = new PostgresRevocationStore(deps.prisma);
  if (await durable.isRevoked(claims)) return INACTIVE;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
  };
}

/**
 * A refresh token is usable only while it is neither rotated (its successor is the live one),
 * revoked (every family revocation marks each of its refresh tokens) nor expired.
 */
function introspectRefreshToken(client: OAuthClient, row: RefreshToken, now: Date): IntrospectionResponse {
  if (row.clientId !== client.id) return INACTIVE;
  if (row.rotatedAt || row.revokedAt || row.expiresAt <= now) return INACTIVE;
  return {
    active: true,
    scope: row.scopes.join(' '),
    client_id: row.clientId,
    sub: row.userId,
    exp: seconds(row.expiresAt),
    iat: seconds(row.createdAt),
    token_type: 'refresh_token',
  };
}
