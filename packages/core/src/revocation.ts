import { Cluster, type Redis } from './redis.ts';
import {
  legacyRevocationKey,
  redisRevocationChecker,
  revocationCompleteKey,
  revocationKey,
  VerifierUnavailableError,
  type RevocationChecker,
  type RevocationKind,
  type RevocationSubject,
} from '@mcp-auth/resource-server';
import type { PrismaClient } from './db.ts';
import type { Logger } from './logger.ts';

/**
 * The revocation set (DESIGN "Revocation"). The authorization server records revocations; the MCP
 * service asks on every request. Postgres holds the durable record; Redis, when present, is the
 * fast copy that the MCP service reads.
 */
// What identifies a token, which keys can revoke it and what their values mean are the
// resource-server library's: every resource server reads the set with it, this module writes it.
export {
  legacyRevocationKey,
  revocationCompleteKey,
  revocationKey,
  revocationKeysOf,
  revokedByEntries,
  type RevocationChecker,
  type RevocationSubject,
} from '@mcp-auth/resource-server';

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
      kind: Exclude<RevocationKind, 'user'>;
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
 * The entry that withdraws every token a client holds, before the client is removed (RFC 7592
 * §2.3 delete, or housekeeping of unused clients): it must outlive the longest access token.
 */
export const clientRevocation = (
  clientId: string,
  accessTokenTtl: number,
  now = new Date(),
): RevocationEntry => ({
  kind: 'client',
  value: clientId,
  expiresAt: new Date(now.getTime() + (accessTokenTtl + REVOCATION_MARGIN_SECONDS) * 1000),
});

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
  private readonly writesLegacyNames: boolean;
  private readonly checker: RevocationChecker;

  constructor(
    private readonly redis: Redis,
    private readonly prisma: PrismaClient,
    private readonly keyPrefix = 'mcp-auth:',
    private readonly logger?: Logger,
  ) {
    this.marker = revocationCompleteKey(keyPrefix);
    // Readers of the older key names (legacyRevocationKey) never ran on a Cluster.
    this.writesLegacyNames = !(redis instanceof Cluster);
    // The read is the library's, as in every resource server; an incomplete set is rebuilt here.
    this.checker = redisRevocationChecker({
      redis,
      keyPrefix,
      onIncomplete: () => {
        this.logger?.warn('the revocation set in Redis is incomplete (restarted or flushed); rebuilding it');
        return this.rebuild();
      },
    });
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
      const keys = [revocationKey(this.keyPrefix, e.kind, e.value)];
      if (this.writesLegacyNames) keys.push(legacyRevocationKey(this.keyPrefix, e.kind, e.value));
      for (const key of keys) {
        if (e.kind === 'user') pipeline.eval(KEEP_LATER_SIGN_OUT, 1, key, fastValue(e), ttl);
        else pipeline.set(key, fastValue(e), 'PX', ttl);
      }
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    try {
      return await this.checker.isRevoked(token);
    } catch (err) {
      if (err instanceof VerifierUnavailableError) throw new RevocationUnavailableError(err.message);
      throw err;
    }
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
