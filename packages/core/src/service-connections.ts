import { createPrisma, type PrismaClient } from './db.ts';
import { redactUrl, waitFor, type ReadinessCheck } from './http.ts';
import type { Logger } from './logger.ts';
import { Cluster, createRedis, watchRedis, type Redis } from './redis.ts';
import { RedisRevocationStore } from './revocation.ts';

export interface ServiceConnections {
  prisma: PrismaClient;
  redis: Redis;
  revocation: RedisRevocationStore;
  /** For /readyz: only the dependencies without which the service cannot answer. */
  checks: Record<string, ReadinessCheck>;
  close(): Promise<void>;
}

/**
 * What a standalone service connects to at start: PostgreSQL, Redis and the revocation store over
 * both. Each is waited for with a clear message naming it, so a slow or missing server gives one
 * line, not a crash loop.
 */
export async function connectServices(opts: {
  env: {
    DATABASE_URL: string;
    REDIS_URL: string;
    REDIS_KEY_PREFIX: string;
    DATABASE_POOL_SIZE?: number | undefined;
    DATABASE_STATEMENT_TIMEOUT?: number;
    DATABASE_CONNECT_TIMEOUT?: number;
  };
  logger: Logger;
  /** What stops working while Redis is away, for the log line. */
  whenRedisDown: string;
  /**
   * False for a service that reads Postgres only to rebuild Redis (the MCP service): its pool is
   * small, it does not wait for Postgres, and its readiness does not depend on it.
   */
  needsPostgres?: boolean;
  /** See createRedis: for a service whose requests each ask Redis once (authz introspection). */
  redisAutoPipelining?: boolean;
}): Promise<ServiceConnections> {
  const { env, logger } = opts;
  const needsPostgres = opts.needsPostgres ?? true;
  const prisma = createPrisma(env.DATABASE_URL, {
    max: env.DATABASE_POOL_SIZE ?? (needsPostgres ? 10 : 2),
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT,
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT,
  });
  const postgres = () => prisma.$queryRaw`SELECT 1`;
  if (needsPostgres) await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), postgres);
  const redis = createRedis(env.REDIS_URL, { autoPipelining: opts.redisAutoPipelining });
  const redisReachable = watchRedis(redis, logger, opts.whenRedisDown);
  await waitFor('Redis', redactUrl(env.REDIS_URL), redisReachable);
  const revocation = new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX, logger);
  if (needsPostgres) recopyAfterReconnect(redis, revocation, logger);
  return {
    prisma,
    redis,
    revocation,
    checks: needsPostgres ? { postgres, redis: redisReachable } : { redis: redisReachable },
    async close() {
      redis.disconnect();
      await prisma.$disconnect();
    },
  };
}

/**
 * Redis replication is asynchronous: an entry written to a master in its last moment before a
 * failover (Sentinel, Cluster) or a crash can be missing on the server that takes over, whose set
 * still carries the completeness marker, so nothing would rebuild it. The services that write
 * revocations (and hold a Postgres pool for it) copy the durable record again when that can have
 * happened: a Sentinel or single-server client's connection comes back (a failover moves it), or a
 * Cluster's masters change. The copy is idempotent.
 */
function recopyAfterReconnect(redis: Redis, revocation: RedisRevocationStore, logger: Logger): void {
  const recopy = (why: string) => {
    logger.info(`${why}; copying the revocation set again`);
    revocation.rebuild().catch((err: Error) => logger.warn({ err: err.message }, 'revocation copy failed'));
  };
  if (redis instanceof Cluster) {
    // `refresh` follows every slot-map update (also the periodic ones): act on a change of masters.
    const mastersOf = () =>
      redis
        .nodes('master')
        .map((n) => `${n.options.host}:${n.options.port}`)
        .sort()
        .join(',');
    let masters = mastersOf();
    redis.on('refresh', () => {
      const now = mastersOf();
      if (now === masters) return;
      masters = now;
      recopy('the Redis Cluster has other masters (failover or resharding)');
    });
    return;
  }
  // Called once connected (connectServices waits for that): the next `ready` is a reconnection.
  let connectedBefore = redis.status === 'ready';
  redis.on('ready', () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    recopy('Redis connection back (restart or failover)');
  });
}
