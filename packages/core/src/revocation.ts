import type { Redis } from 'ioredis';
import {
  redisRevocationChecker,
  revocationKeys,
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
// What is checked, and the Redis key names, are the resource-server library's: it reads the set
// in every resource server, this module writes it.
export type { RevocationChecker, RevocationSubject } from '@mcp-auth/resource-server';

/**
 * Added to the life of every revocation entry. The MCP service accepts a token a few seconds past
 * `exp` (clock tolerance), and a family's last access token may be signed a moment after its
 * revocation was computed; an entry that outlives both by a minute costs nothing.
 */
export const REVOCATION_MARGIN_SECONDS = 60;

export interface RevocationEntry {
  /** jti: one access token; sid: a grant family; client: every token of a deleted client. */
  kind: RevocationKind;
  value: string;
  /** When the last token this entry covers expires; the entry is useless after that. */
  expiresAt: Date;
}

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
  // Upsert keeps the later expiry when the same token is revoked twice.
  await prisma.$transaction(
    entries.map((e) =>
      prisma.revocation.upsert({
        where: { kind_value: { kind: e.kind, value: e.value } },
        create: e,
        update: { expiresAt: e.expiresAt },
      }),
    ),
  );
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
  private readonly keys: ReturnType<typeof revocationKeys>;
  private readonly checker: RevocationChecker;

  constructor(
    private readonly redis: Redis,
    private readonly prisma: PrismaClient,
    keyPrefix = 'mcp-auth:',
    private readonly logger?: Logger,
  ) {
    this.keys = revocationKeys(keyPrefix);
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
      if (ttl > 0) pipeline.set(this.keys.entry(e.kind, e.value), '1', 'PX', ttl);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async isRevoked(token: RevocationSubject): Promise<boolean> {
    try {
      return await this.checker.isRevoked(token);
    } catch (err) {
      if (err instanceof RevocationUnavailableError) throw err;
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
        select: { kind: true, value: true, expiresAt: true },
      });
      for (let i = 0; i < rows.length; i += 1000) {
        await this.writeFast(rows.slice(i, i + 1000) as RevocationEntry[]);
      }
      // Set last: until it exists, every check comes back here.
      await this.redis.set(this.keys.complete, String(Date.now()));
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
