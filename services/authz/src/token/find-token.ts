import {
  InvalidTokenError,
  keySet,
  serverForResource,
  sha256,
  verifyAccessToken,
  type AccessTokenClaims,
  type Policy,
  type RefreshToken,
  type VerifiedTokenCache,
} from '@mcp-auth/core';
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
  deps: Pick<AuthzDeps, 'config' | 'prisma' | 'signingKey' | 'previousKeys'> & {
    /**
     * Access tokens this process verified before (exact string, signature included), trusted again
     * until `exp` with no tolerance: a resource server introspects the same token on every request
     * it serves, and the signature check was most of that cost. A miss is verified in full.
     */
    verifiedTokens?: VerifiedTokenCache;
  },
  token: string,
  opts: { clockToleranceSeconds: number },
): Promise<FoundToken | undefined> {
  if (JWT_SHAPE.test(token)) {
    const remembered = rememberedClaims(deps.verifiedTokens, token);
    if (remembered) return { type: 'access_token', claims: remembered };
    // Every server of the policy is ours: its tokens are recognised whichever it is bound to.
    const audience = ourAudience(deps.config.policy, token);
    if (audience === undefined) return undefined;
    try {
      const claims = verifyAccessToken(token, keySet([deps.signingKey, ...(deps.previousKeys ?? [])]), {
        issuer: deps.config.issuer,
        audience,
        clockToleranceSeconds: opts.clockToleranceSeconds,
      });
      deps.verifiedTokens?.set(token, claims);
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

/**
 * The protected server's resource that the token claims as `aud`, if it is one of the policy's.
 * Read before verification only to choose the audience to verify against: verifyAccessToken then
 * checks the signature and that same `aud`, so a forged claim gains nothing.
 */
function ourAudience(policy: Policy, jwt: string): string | undefined {
  let aud: unknown;
  try {
    aud = (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { aud?: unknown })
      .aud;
  } catch {
    return undefined;
  }
  if (typeof aud !== 'string') return undefined;
  return serverForResource(policy, aud)?.resource;
}

/**
 * The cache refuses a remembered token past its `exp` by throwing. Here that is a miss, not an
 * outage: the token is verified again below with this caller's own clock tolerance (revocation
 * allows a few seconds, introspection none), which answers an expired one as unknown.
 */
function rememberedClaims(cache: VerifiedTokenCache | undefined, token: string) {
  try {
    return cache?.get(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) return undefined;
    throw err;
  }
}
