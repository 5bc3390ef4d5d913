import { keySet, sha256, verifyAccessToken, type AccessTokenClaims, type RefreshToken } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';

export type FoundToken =
  { type: 'access_token'; claims: AccessTokenClaims } | { type: 'refresh_token'; row: RefreshToken };

/** header.payload.signature, each base64url: what a JWT looks like; our refresh tokens have no dot. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A token presented to the revocation or introspection endpoint, if it is one of ours. The two
 * kinds are told apart by their shape, so `token_type_hint` is never needed (RFC 7009 §2.1 and
 * RFC 7662 §2.1 let the server ignore it). An access token counts only with our signature and
 * issuer and before its expiry (plus `clockToleranceSeconds`); an expired one is not found.
 */
export async function findToken(
  deps: Pick<AuthzDeps, 'config' | 'prisma' | 'signingKey' | 'previousKeys'>,
  token: string,
  opts: { clockToleranceSeconds: number },
): Promise<FoundToken | undefined> {
  if (JWT_SHAPE.test(token)) {
    try {
      const claims = verifyAccessToken(token, keySet([deps.signingKey, ...(deps.previousKeys ?? [])]), {
        issuer: deps.config.issuer,
        // Any server of the policy: each token is bound to one, and all are ours to revoke.
        audience: deps.config.policy.servers.map((s) => s.resource),
        clockToleranceSeconds: opts.clockToleranceSeconds,
      });
      return { type: 'access_token', claims };
    } catch {
      // InvalidTokenError, or a library error on a token crafted to look like a JWT: either way
      // not a token we issued, and whatever a client sends must not become a 500.
      return undefined;
    }
  }
  const row = await deps.prisma.refreshToken.findUnique({ where: { tokenHash: sha256(token) } });
  return row ? { type: 'refresh_token', row } : undefined;
}
