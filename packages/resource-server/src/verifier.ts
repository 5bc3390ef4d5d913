import {
  accessTokenKid,
  VerifiedTokenCache,
  verifyAccessTokenWithKey,
  type AccessTokenClaims,
} from './access-token.ts';
import { parseScope, toAuthInfo, type AuthInfo } from './auth-info.ts';
import { InvalidTokenError, VerifierUnavailableError } from './challenge.ts';
import { remoteJwks, staticKeys, type KeySource, type RemoteJwksOptions } from './key-source.ts';
import type { KeySet } from './keys.ts';
import type { RevocationChecker } from './revocation.ts';

/**
 * The MCP SDK's `OAuthTokenVerifier` shape: the bearer middleware hands it the token and gets the
 * caller, or an InvalidTokenError (401) or VerifierUnavailableError (503).
 */
export interface TokenVerifier {
  verifyAccessToken(token: string): Promise<AuthInfo>;
}

export interface JwtVerifierOptions {
  /** The authorization server (`iss` of every accepted token). */
  issuer: string;
  /** This resource's URL (RFC 8707): tokens for another resource are refused. */
  audience: string;
  /** Exactly one of: the issuer's JWKS URL, or fixed keys (a KeySet, or PEM / JWKS text). */
  jwksUri?: string;
  jwks?: RemoteJwksOptions;
  keys?: KeySet | string | KeySource;
  /** Asked on every request, after the signature; without it a revoked token works until it expires. */
  revocation?: RevocationChecker;
  clockToleranceSeconds?: number;
  /** Verified tokens remembered (signature not checked again until `exp`); default 10,000. */
  cacheEntries?: number;
}

const isKeySource = (k: unknown): k is KeySource => typeof (k as KeySource).getKey === 'function';

/**
 * Verifies mcp-auth access tokens locally (RFC 9068 JWTs): `typ`, the key by `kid` with its own
 * algorithm, signature, `iss`, `aud`, `exp`; then asks the revocation set (never cached).
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  if (Boolean(options.jwksUri) === Boolean(options.keys)) {
    throw new TypeError('jwtVerifier: give either jwksUri or keys');
  }
  const keys: KeySource = options.jwksUri
    ? remoteJwks(options.jwksUri, options.jwks)
    : isKeySource(options.keys)
      ? options.keys
      : staticKeys(options.keys!);
  const expected = {
    issuer: options.issuer,
    audience: options.audience,
    clockToleranceSeconds: options.clockToleranceSeconds,
  };
  const cache = new VerifiedTokenCache(options.cacheEntries, options.clockToleranceSeconds ?? 5);

  const verify = async (token: string): Promise<AccessTokenClaims> => {
    const hit = cache.get(token);
    if (hit) return hit;
    const kid = accessTokenKid(token);
    const claims = verifyAccessTokenWithKey(token, await keys.getKey(kid), expected);
    cache.set(token, claims);
    return claims;
  };

  return {
    async verifyAccessToken(token) {
      const claims = await verify(token);
      if (options.revocation) {
        let revoked: boolean;
        try {
          revoked = await options.revocation.isRevoked(claims);
        } catch (err) {
          if (err instanceof VerifierUnavailableError) throw err;
          throw new VerifierUnavailableError(`cannot check token revocation: ${(err as Error).message}`);
        }
        if (revoked) throw new InvalidTokenError('token revoked');
      }
      return toAuthInfo(
        {
          subject: claims.sub,
          clientId: claims.client_id,
          scopes: parseScope(claims.scope),
          jti: claims.jti,
          sid: claims.sid,
          expiresAt: claims.exp,
        },
        token,
        options.audience,
      );
    },
  };
}
