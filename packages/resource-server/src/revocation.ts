import { VerifierUnavailableError } from './challenge.ts';
import type { AccessTokenClaims } from './access-token.ts';

/**
 * The revocation set the authorization server writes into Redis (mcp-auth's DESIGN "Revocation"),
 * read here. One definition of the key names for writer and readers: packages/core's store
 * imports them from this module.
 */

/** jti: one access token; sid: a grant family; client: every token of a deleted client. */
export type RevocationKind = 'jti' | 'sid' | 'client';

/** What identifies an access token for revocation: itself, its grant, and its client. */
export type RevocationSubject = Pick<AccessTokenClaims, 'jti' | 'sid' | 'client_id'>;

export interface RevocationChecker {
  /**
   * True when the token (`jti`), its grant family (`sid`) or its client is revoked. Rejects when
   * the store cannot answer: callers fail closed.
   */
  isRevoked(token: RevocationSubject): Promise<boolean>;
}

export const DEFAULT_KEY_PREFIX = 'mcp-auth:';

/** The Redis keys of the set under a prefix (REDIS_KEY_PREFIX of the authorization server). */
export function revocationKeys(keyPrefix = DEFAULT_KEY_PREFIX) {
  return {
    /** Present only while the set is complete: Redis restarted without persistence or flushed has none. */
    complete: `${keyPrefix}revoked:complete`,
    entry: (kind: RevocationKind, value: string) => `${keyPrefix}revoked:${kind}:${value}`,
  };
}

/** The one Redis command this needs; an ioredis (or node-redis with this shape) client fits. */
export interface RedisReader {
  mget(...keys: string[]): Promise<(string | null)[]>;
}

export interface RedisRevocationOptions {
  redis: RedisReader;
  keyPrefix?: string;
  /**
   * Called when the set is incomplete (the marker is gone); the check is then asked again once.
   * mcp-auth's own service rebuilds the set from PostgreSQL here. Without it, requests are refused
   * (503) until some service has rebuilt the set.
   */
  onIncomplete?: () => Promise<void>;
}

/**
 * One MGET per request: the completeness marker and the entries that would revoke this token.
 * An error from Redis, or a set that is still incomplete, rejects (fail closed).
 */
export function redisRevocationChecker(options: RedisRevocationOptions): RevocationChecker {
  const keys = revocationKeys(options.keyPrefix);
  const check = async (token: RevocationSubject, retried: boolean): Promise<boolean> => {
    let values: (string | null)[];
    try {
      values = await options.redis.mget(
        keys.complete,
        keys.entry('jti', token.jti),
        keys.entry('sid', token.sid),
        keys.entry('client', token.client_id),
      );
    } catch (err) {
      throw new VerifierUnavailableError(`revocation set unavailable: ${(err as Error).message}`);
    }
    const [complete, ...entries] = values;
    if (entries.some(Boolean)) return true;
    if (complete) return false;
    if (!options.onIncomplete || retried) {
      throw new VerifierUnavailableError('the revocation set is being rebuilt');
    }
    await options.onIncomplete();
    return check(token, true);
  };
  return { isRevoked: (token) => check(token, false) };
}
