import { sameResource, type AccessTokenClaims, type OAuthClient, type RefreshToken } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
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
 * What the token is, for a client entitled to know: the client it was issued to, or for an access
 * token a resource server the operator granted its audience (`introspectionResource`). Any other
 * token is reported inactive exactly like an unknown one, so no client can probe tokens it does not
 * hold (§4). An access token is answered from itself (signature, issuer, audience, expiry) and the
 * revocation store, the same fast set the MCP service reads: no database round trip.
 */
export async function introspect(
  deps: AuthzContext,
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

/** The token's own client, or the resource server its audience names. */
const mayIntrospect = (client: OAuthClient, claims: AccessTokenClaims) =>
  claims.client_id === client.id ||
  (client.introspectionResource !== null && sameResource(client.introspectionResource, claims.aud));

async function introspectAccessToken(
  deps: AuthzContext,
  client: OAuthClient,
  claims: AccessTokenClaims,
): Promise<IntrospectionResponse> {
  if (!mayIntrospect(client, claims)) return INACTIVE;
  if (await deps.revocation.isRevoked(claims)) return INACTIVE;
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
 * Refresh tokens are the client's own business: a resource server never sees one, so only the
 * client it was issued to may ask. A refresh token is usable only while it is neither rotated (its successor is the live one),
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
