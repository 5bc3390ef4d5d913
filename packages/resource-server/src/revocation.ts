import { VerifierUnavailableError } from './challenge.ts';
import type { AccessTokenClaims } from './access-token.ts';

/**
 * The revocation set the authorization server writes into Redis (mcp-auth's DESIGN "Revocation"),
 * read here. This is the one place that names its keys and says what their values mean: the
 * writer in packages/core imports them from this module.
 */

/**
 * jti: one access token; sid: a grant family; client: every token of a deleted client (value: the
 * id of each); user: every token of a subject issued up to its sign-out time (value: the `sub`).
 */
export type RevocationKind = 'jti' | 'sid' | 'client' | 'user';

/**
 * What identifies an access token for revocation: itself, its grant, its client, and its subject
 * with the time it was issued (for a sign-out everywhere).
 */
export type RevocationSubject = Pick<AccessTokenClaims, 'jti' | 'sid' | 'client_id' | 'sub' | 'iat'>;

export interface RevocationChecker {
  /**
   * True when the token (`jti`), its grant family (`sid`) or its client is revoked, or its subject
   * was signed out everywhere at or after its `iat`. Rejects when the store cannot answer: callers
   * fail closed.
   */
  isRevoked(token: RevocationSubject): Promise<boolean>;
}

export const DEFAULT_KEY_PREFIX = 'mcp-auth:';

/**
 * The one place that names the set's keys. `{revoked}` is a Redis Cluster hash tag: only the part
 * between the braces picks the slot, so every key of the set (and the completeness marker) lives
 * in one slot, and the one MGET per request and the writer's pipelines work on a Cluster (keys in
 * different slots would fail with CROSSSLOT). The set is small (entries expire with their tokens),
 * so one slot is not a hot spot worth splitting. A set written under older key names needs no
 * migration: its marker is absent under these names, so the set is rebuilt from PostgreSQL.
 */
const revocationSetKey = (keyPrefix: string, rest: string) => `${keyPrefix}{revoked}:${rest}`;

/** The Redis key of one entry, under the prefix (REDIS_KEY_PREFIX of the authorization server). */
export const revocationKey = (keyPrefix: string, kind: RevocationKind, value: string) =>
  revocationSetKey(keyPrefix, `${kind}:${value}`);

/** Present once the Redis copy holds every entry of the durable record (gone after a flush or a restart without persistence). */
export const revocationCompleteKey = (keyPrefix: string) => revocationSetKey(keyPrefix, 'complete');

/**
 * An entry's name before the keys were hash-tagged (2026-12). A reader of that version reads these
 * names and its own completeness marker, so during a rolling upgrade the writers write each entry
 * under this name too (not on a Cluster, which that version could not use): that reader then sees
 * every revocation. Nothing reads these names from this version on.
 */
export const legacyRevocationKey = (keyPrefix: string, kind: RevocationKind, value: string) =>
  `${keyPrefix}revoked:${kind}:${value}`;

/** The keys that can revoke one token, in the order `revokedByEntries` reads their values. */
export const revocationKeysOf = (keyPrefix: string, token: RevocationSubject): string[] => [
  revocationKey(keyPrefix, 'jti', token.jti),
  revocationKey(keyPrefix, 'sid', token.sid),
  revocationKey(keyPrefix, 'client', token.client_id),
  revocationKey(keyPrefix, 'user', token.sub),
];

/**
 * Reads the values of `revocationKeysOf`: a `jti`, `sid` or `client` key revokes by existing; a
 * `user` key holds the sign-out second, and revokes the tokens issued up to it.
 */
export function revokedByEntries(values: readonly (string | null)[], token: RevocationSubject): boolean {
  const [jti, sid, client, user] = values;
  if (jti || sid || client) return true;
  return user != null && token.iat <= Number(user);
}

/** The one Redis command this needs; an ioredis client fits. */
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
 * One MGET per request: the completeness marker and every key that could revoke this token. An
 * error from Redis, or a set that stays incomplete, rejects (fail closed).
 */
export function redisRevocationChecker(options: RedisRevocationOptions): RevocationChecker {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const complete = revocationCompleteKey(prefix);
  const check = async (token: RevocationSubject, retried: boolean): Promise<boolean> => {
    let values: (string | null)[];
    try {
      values = await options.redis.mget(complete, ...revocationKeysOf(prefix, token));
    } catch (err) {
      throw new VerifierUnavailableError(`revocation set unavailable: ${(err as Error).message}`);
    }
    const [isComplete, ...entries] = values;
    if (revokedByEntries(entries, token)) return true;
    if (isComplete) return false;
    if (!options.onIncomplete || retried) {
      throw new VerifierUnavailableError('the revocation set is incomplete (being rebuilt)');
    }
    await options.onIncomplete();
    return check(token, true);
  };
  return { isRevoked: (token) => check(token, false) };
}
