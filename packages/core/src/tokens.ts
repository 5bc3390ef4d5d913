import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { KeySet, SigningKey } from './keys.ts';
import { SIGNING_ALGORITHMS } from './keys.ts';

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

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
}

export function signAccessToken(
  key: SigningKey,
  input: {
    issuer: string;
    subject: string;
    audience: string;
    clientId: string;
    scopes: readonly string[];
    sid: string;
    ttlSeconds: number;
    /** Absent for grants without a person (client_credentials) and grants older than it. */
    authTime?: Date | null;
    now?: number;
  },
): IssuedAccessToken {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const claims: AccessTokenClaims = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    client_id: input.clientId,
    scope: input.scopes.join(' '),
    jti: randomUUID(),
    iat,
    exp: iat + input.ttlSeconds,
    sid: input.sid,
    ...(input.authTime ? { auth_time: Math.floor(input.authTime.getTime() / 1000) } : {}),
  };
  const token = jwt.sign(claims, key.privateKey, {
    algorithm: key.alg,
    keyid: key.kid,
    header: { typ: 'at+jwt', alg: key.alg, kid: key.kid },
  });
  return { token, claims };
}

/** Why a token was refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

const ALLOWED = new Set<string>(SIGNING_ALGORITHMS);

/**
 * Validates an access token locally: header (`typ` at+jwt, `alg` on the allow-list and equal to
 * the key's, known `kid`), signature, `iss`, `aud`, `exp`/`nbf`, and the claims we rely on.
 * The key's own algorithm decides, never the token's header (no alg confusion, no "none").
 */
export function verifyAccessToken(
  token: string,
  keys: KeySet,
  expected: { issuer: string; audience: string; clockToleranceSeconds?: number },
): AccessTokenClaims {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload === 'string') throw new InvalidTokenError('malformed token');
  const { header } = decoded;
  const typ = String(header.typ ?? '').toLowerCase();
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt')
    throw new InvalidTokenError('not an access token (typ)');
  if (!ALLOWED.has(header.alg)) throw new InvalidTokenError(`algorithm ${header.alg} not allowed`);
  const key = header.kid ? keys.get(header.kid) : undefined;
  if (!key) throw new InvalidTokenError('unknown signing key');
  if (key.alg !== header.alg) throw new InvalidTokenError('algorithm does not match the key');

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
  return {
    ...(payload as AccessTokenClaims),
    aud: expected.audience,
    scope: typeof payload.scope === 'string' ? payload.scope : '',
  };
}

/**
 * verifyAccessToken with a memory of tokens already verified. An MCP client sends the same access
 * token on every request for its whole lifetime, and the signature check is the largest part of
 * the cost of authentication; a token seen before (the exact string, signature included) is
 * trusted again without it until its `exp`. Only successful verifications are remembered, the
 * oldest first forgotten, so memory stays bounded. Revocation is not cached: callers still ask the
 * revocation set on every request.
 */
export function createAccessTokenVerifier(
  keys: KeySet,
  expected: { issuer: string; audience: string; clockToleranceSeconds?: number },
  options: { maxEntries?: number; now?: () => number } = {},
): (token: string) => AccessTokenClaims {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const tolerance = expected.clockToleranceSeconds ?? 5;
  const verified = new Map<string, AccessTokenClaims>();
  return (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp + tolerance <= now() / 1000) {
        verified.delete(token);
        throw new InvalidTokenError('token expired');
      }
      // Map order is insertion order: re-inserting marks it as recently used.
      verified.delete(token);
      verified.set(token, hit);
      return hit;
    }
    const claims = verifyAccessToken(token, keys, expected);
    verified.set(token, claims);
    if (verified.size > maxEntries) verified.delete(verified.keys().next().value as string);
    return claims;
  };
}
