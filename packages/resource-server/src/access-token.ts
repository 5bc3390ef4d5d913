import jwt from 'jsonwebtoken';
import { InvalidTokenError } from './challenge.ts';
import { SIGNING_ALGORITHMS, type KeySet, type VerificationKey } from './keys.ts';

/** RFC 9068 access token claims, plus `sid`: the grant family, for revoking a whole grant. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  sid: string;
  /** When the person last typed their password, seconds (OIDC auth_time; RFC 9068 §2.2.1). */
  auth_time?: number;
}

export interface ExpectedToken {
  /** The one authorization server whose tokens are accepted (`iss`). */
  issuer: string;
  /** This resource's identifier (RFC 8707): the `aud` every accepted token must carry. */
  audience: string;
  clockToleranceSeconds?: number | undefined;
}

const ALLOWED = new Set<string>(SIGNING_ALGORITHMS);

/**
 * Reads the header without trusting it: `typ` must say access token (RFC 9068 §2.1, so an ID token
 * or another JWT of the same issuer is refused) and the `kid` names the key to verify with.
 */
export function accessTokenKid(token: string): string {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new InvalidTokenError('malformed token');
  const { header } = decoded;
  const typ = String(header.typ ?? '').toLowerCase();
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt')
    throw new InvalidTokenError('not an access token (typ)');
  if (!ALLOWED.has(header.alg)) throw new InvalidTokenError(`algorithm ${header.alg} not allowed`);
  // RFC 7515 §4.1.11: a token whose `crit` names extensions the recipient does not understand must
  // be refused; we understand none, and jsonwebtoken ignores `crit`.
  if ((header as { crit?: unknown }).crit !== undefined) {
    throw new InvalidTokenError('critical header extensions are not supported');
  }
  if (!header.kid) throw new InvalidTokenError('unknown signing key');
  return header.kid;
}

/**
 * Validates an access token with the key its `kid` named: the key's own algorithm decides, never
 * the token's header (no alg confusion, no "none"); then signature, `iss`, `aud`, `exp`/`nbf`, and
 * the claims callers rely on.
 */
export function verifyAccessTokenWithKey(
  token: string,
  key: VerificationKey | undefined,
  expected: ExpectedToken,
): AccessTokenClaims {
  if (!key) throw new InvalidTokenError('unknown signing key');
  const alg = (jwt.decode(token, { complete: true })?.header.alg as string | undefined) ?? '';
  if (key.alg !== alg) throw new InvalidTokenError('algorithm does not match the key');
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key.key, {
      algorithms: [key.alg],
      issuer: expected.issuer,
      audience: expected.audience,
      clockTolerance: expected.clockToleranceSeconds ?? 5,
    }) as jwt.JwtPayload;
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TokenExpiredError') throw new InvalidTokenError('token expired');
    if (e.name === 'NotBeforeError') throw new InvalidTokenError('token not yet valid');
    const msg = e.message.startsWith('jwt audience invalid')
      ? 'token is for another audience'
      : e.message.startsWith('jwt issuer invalid')
        ? 'token is from another issuer'
        : 'invalid signature or token';
    throw new InvalidTokenError(msg);
  }
  for (const claim of ['sub', 'client_id', 'jti', 'sid'] as const) {
    if (typeof payload[claim] !== 'string' || payload[claim] === '') {
      throw new InvalidTokenError(`missing claim ${claim}`);
    }
  }
  if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
    throw new InvalidTokenError('missing exp or iat');
  }
  // jsonwebtoken does not look at iat. A token "issued" after now would escape a sign-out's
  // revocation, which refuses tokens issued up to that moment: only a broken or stolen signer makes one.
  if (payload.iat > Date.now() / 1000 + (expected.clockToleranceSeconds ?? 5)) {
    throw new InvalidTokenError('token issued in the future');
  }
  return {
    ...(payload as AccessTokenClaims),
    aud: expected.audience,
    scope: typeof payload.scope === 'string' ? payload.scope : '',
  };
}

/** Validates an access token against a fixed set of keys (the authorization server's own checks use this). */
export function verifyAccessToken(token: string, keys: KeySet, expected: ExpectedToken): AccessTokenClaims {
  return verifyAccessTokenWithKey(token, keys.get(accessTokenKid(token)), expected);
}

/**
 * A memory of tokens already verified. An MCP client sends the same access token on every request
 * for its whole lifetime, and the signature check is the largest part of the cost of
 * authentication; a token seen before (the exact string, signature included) is trusted again
 * without it until its `exp`. Only successful verifications are remembered, the oldest first
 * forgotten, so memory stays bounded. Revocation is never cached.
 */
export class VerifiedTokenCache {
  private readonly verified = new Map<string, AccessTokenClaims>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly toleranceSeconds = 5,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): AccessTokenClaims | undefined {
    const hit = this.verified.get(token);
    if (!hit) return undefined;
    this.verified.delete(token);
    if (hit.exp + this.toleranceSeconds <= this.now() / 1000) throw new InvalidTokenError('token expired');
    // Map order is insertion order: re-inserting marks it as recently used.
    this.verified.set(token, hit);
    return hit;
  }

  set(token: string, claims: AccessTokenClaims): void {
    this.verified.set(token, claims);
    if (this.verified.size > this.maxEntries)
      this.verified.delete(this.verified.keys().next().value as string);
  }
}

/** verifyAccessToken with a VerifiedTokenCache in front: for callers with a fixed key set. */
export function createAccessTokenVerifier(
  keys: KeySet,
  expected: ExpectedToken,
  options: { maxEntries?: number; now?: () => number } = {},
): (token: string) => AccessTokenClaims {
  const cache = new VerifiedTokenCache(options.maxEntries, expected.clockToleranceSeconds ?? 5, options.now);
  return (token) => {
    const hit = cache.get(token);
    if (hit) return hit;
    const claims = verifyAccessToken(token, keys, expected);
    cache.set(token, claims);
    return claims;
  };
}
