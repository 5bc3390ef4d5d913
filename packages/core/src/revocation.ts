import type { Redis } from 'ioredis';
import type { PrismaClient } from './db.ts';
import type { Logger } from './logger.ts';
import type { AccessTokenClaims } from './tokens.ts';

/**
 * The revocation set (DESIGN "Revocation"). The authorization server records revocations; the MCP
 * service asks on every request. Postgres holds the durable record; Redis, when present, is the
 * fast copy that the MCP service reads.
 */
/**
 * What identifies an access token for revocation: itself, its grant, its client, and its subject
 * with the time it was issued (for a sign-out everywhere).
 */
export type RevocationSubject = Pick<AccessTokenClaims, 'jti' | 'sid' | 'client_id' | 'sub' | 'iat'>;

export interface RevocationChecker {
  /**
   * True when the token (`jti`), its grant family (`sid`) or its client (deleted: RFC 7592 §2.3) is
   * revoked, or its subject was signed out everywhere at or after its `iat`. Rejects with RevocationUnavailableError when the store cannot answer: callers fail
   * closed.
   */
  isRevoked(token: RevocationSubject): Promise<boolean>;
}

/**
 * Added to the life of every revocation entry. The MCP service accepts a token a few seconds past
 * `exp` (clock tolerance), and a family's last access token may be signed a moment after its
 * revocation was computed; an entry that outlives both by a minute costs nothing.
 */
export const REVOCATION_MARGIN_SECONDS = 60;

/**
 * jti: one access token; sid: a grant family; client: every token of a deleted client (value: the
 * id of each); user: every token of a subject issued up to `notBefore` (value: the `sub`).
 */
export type RevocationEntry =
  | {
      kind: 'jti' | 'sid' | 'client';
      value: string;
      /** When the last token this entry covers expires; the entry is useless after that. */
      expiresAt: Date;
    }
  | {
      kind: 'user';
      value: string;
      expiresAt: Date;
      /** The sign-out time: a token whose `iat` is not after it is refused. */
      notBefore: Date;
    };

/**
 * `iat` has whole seconds, so a sign-out at 12.7 s refuses every token with `iat` ≤ 12, including
 * one issued at 12.9 s, after it: failing closed within that second, never open.
 */
const notBeforeSeconds = (notBefore: Date) => Math.floor(notBefore.getTime() / 1000);

/**
 * The Redis key of one entry. The authorization server writes these keys and every resource
 * server reads them: this is the one place that names them.
 */
export const revocationKey = (keyPrefix: string, kind: RevocationEntry['kind'], value: string) =>
  `${keyPrefix}revoked:${kind}:${value}`;

/** Present once the Redis copy holds every entry of the durable record. */
export const revocationCompleteKey = (keyPrefix: string) => `${keyPrefix}revoked:complete`;

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

/** What the Redis key of an entry holds (see revokedByEntries). */
const fastValue = (e: RevocationEntry) => (e.kind === 'user' ? String(notBeforeSeconds(e.notBefore)) : '1');

export interface RevocationStore extends RevocationChecker {
  /** Durable first, then fast; resolves only when both hold the entries. */
  revoke(entries: readonly RevocationEntry[]): Promise<void>;
  /** Throws when the store is not usable (for /readyz). */
  ping(): Promise<void>;
}

export class RevocationUnavailableError extends Error {
  override name = 'RevocationUnavailableError';
}

async function recordDurably(prisma: PrismaClient, entries: readonly RevocationEntry[]): Promise<void> {
  // GREATEST keeps the later expiry and the later sign-out when an entry is recorded twice: a
  // background retry of an older sign-out must not move a newer one back (GREATEST skips NULLs).
  await prisma.$transaction(
    entries.map((e) => {
      const notBefore = e.kind === 'user' ? e.notBefore : null;
      return prisma.$executeRaw`
        INSERT INTO "revocations" ("kind", "value", "expiresAt", "notBefore")
        VALUES (${e.kind}, ${e.value}, ${e.expiresAt}, ${notBefore})
        ON CONFLICT ("kind", "value") DO UPDATE SET
          "expiresAt" = GREATEST("revocations"."expiresAt", EXCLUDED."expiresAt"),
          "notBefore" = GREATEST("revocations"."notBefore", EXCLUDED."notBefore")`;
    }),
  );
}

/**
 * Sets a sign-out key unless it already holds a later sign-out (a background retry of an older one
 * must not move it back); the later sign-out also has the later expiry, so its TTL stands.
 */
const KEEP_LATER_SIGN_OUT = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** A durable row as an entry; a row of an unknown kind (written by a newer version) is skipped. */
function entryOfRow(row: {
  kind: string;
  value: string;
  expiresAt: Date;
  notBefore: Date | null;
}): RevocationEntry[] {
  const { kind, value, expiresAt, notBefore } = row;
  if (kind === 'user') return notBefore ? [{ kind, value, expiresAt, notBefore }] : [];
  if (kind === 'jti' || kind === 'sid' || kind === 'client') return [{ kind, value, expiresAt }];
  return [];
}

/** Postgres alone: the embedded mode, which has no Redis. */
export class PostgresRevocationStore implements RevocationStore {
  constructor(private readonly prisma: PrismaClient) {}

  async revoke(entries: readonly RevocationEntry[]): Promise<void> {
    if (entries.length) await recordDurably(this.prisma, entries);
  }

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    try {
      const rows = await this.prisma.revocation.findFirst({
        where: {
          OR: [
            { kind: 'jti', value: token.jti },
            { kind: 'sid', value: token.sid },
            { kind: 'client', value: token.client_id },
            // Same rule as revokedByEntries: a sign-out at 12.7 s covers iat 12 (12.0 s ≤ 12.7 s).
            { kind: 'user', value: token.sub, notBefore: { gte: new Date(token.iat * 1000) } },
          ],
          expiresAt: { gt: new Date() },
        },
        select: { kind: true },
      });
      return rows !== null;
    } catch (err) {
      throw new RevocationUnavailableError(`revocation store unavailable: ${(err as Error).message}`);
    }
  }

  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }
}

/**
 * Redis in front of Postgres. Each revoked `jti`/`sid` is a key that expires with the token it
 * covers, so the set never needs cleaning. A marker key says the set is complete: Redis restarted
 * without persistence or flushed has no marker, and then the set is rebuilt from Postgres before
 * any token is accepted again.
 */
export class RedisRevocationStore implements RevocationStore {
  private rebuilding: Promise<void> | undefined;
  private readonly marker: string;

  constructor(
    private readonly redis: Redis,
    private readonly prisma: PrismaClient,
    private readonly keyPrefix = 'mcp-auth:',
    private readonly logger?: Logger,
  ) {
    this.marker = revocationCompleteKey(keyPrefix);
  }

  async revoke(entries: readonly RevocationEntry[]): Promise<void> {
    if (!entries.length) return;
    await recordDurably(this.prisma, entries);
    try {
      await this.writeFast(entries);
    } catch (err) {
      throw new RevocationUnavailableError(
        `revocation recorded, but Redis did not take it: ${(err as Error).message}`,
      );
    }
  }

  private async writeFast(entries: readonly RevocationEntry[]): Promise<void> {
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const e of entries) {
      const ttl = e.expiresAt.getTime() - now;
      if (ttl <= 0) continue;
      const key = revocationKey(this.keyPrefix, e.kind, e.value);
      if (e.kind === 'user') pipeline.eval(KEEP_LATER_SIGN_OUT, 1, key, fastValue(e), ttl);
      else pipeline.set(key, fastValue(e), 'PX', ttl);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    let values: (string | null)[];
    try {
      // One round trip on the hot path: the completeness marker and every key that could revoke it.
      values = await this.redis.mget(this.marker, ...revocationKeysOf(this.keyPrefix, token));
    } catch (err) {
      throw new RevocationUnavailableError(`Redis unavailable: ${(err as Error).message}`);
    }
    const [complete, ...entries] = values;
    if (revokedByEntries(entries, token)) return true;
    if (complete) return false;
    this.logger?.warn('the revocation set in Redis is incomplete (restarted or flushed); rebuilding it');
    await this.rebuild();
    return this.isRevoked(token);
  }

  /** Copies the durable record into Redis; concurrent callers in this process share one run. */
  rebuild(): Promise<void> {
    this.rebuilding ??= this.copyFromPostgres().finally(() => {
      this.rebuilding = undefined;
    });
    return this.rebuilding;
  }

  private async copyFromPostgres(): Promise<void> {
    try {
      const started = Date.now();
      const rows = await this.prisma.revocation.findMany({
        where: { expiresAt: { gt: new Date() } },
        select: { kind: true, value: true, expiresAt: true, notBefore: true },
      });
      const entries = rows.flatMap(entryOfRow);
      for (let i = 0; i < entries.length; i += 1000) {
        await this.writeFast(entries.slice(i, i + 1000));
      }
      // Set last: until it exists, every check comes back here.
      await this.redis.set(this.marker, String(Date.now()));
      this.logger?.info(
        { entries: rows.length, ms: Date.now() - started },
        'revocation set copied from Postgres',
      );
    } catch (err) {
      throw new RevocationUnavailableError(`cannot rebuild the revocation set: ${(err as Error).message}`);
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
