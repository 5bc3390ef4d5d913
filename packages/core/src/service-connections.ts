import { createPrisma, type PrismaClient } from './db.ts';
import { redactUrl, waitFor, type ReadinessCheck } from './http.ts';
import type { Logger } from './logger.ts';
import { createRedis, watchRedis, type Redis } from './redis.ts';
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
  env: { DATABASE_URL: string; REDIS_URL: string; REDIS_KEY_PREFIX: string };
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
  const prisma = createPrisma(env.DATABASE_URL, needsPostgres ? {} : { max: 2 });
  const postgres = () => prisma.$queryRaw`SELECT 1`;
  if (needsPostgres) await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), postgres);
  const redis = createRedis(env.REDIS_URL, { autoPipelining: opts.redisAutoPipelining });
  const redisReachable = watchRedis(redis, logger, opts.whenRedisDown);
  await waitFor('Redis', redactUrl(env.REDIS_URL), redisReachable);
  return {
    prisma,
    redis,
    revocation: new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX, logger),
    checks: needsPostgres ? { postgres, redis: redisReachable } : { redis: redisReachable },
    async close() {
      redis.disconnect();
      await prisma.$disconnect();
    },
  };
}
