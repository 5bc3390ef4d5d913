import os from 'node:os';
import {
  createAuditLog,
  createLogger,
  createPrisma,
  createRedis,
  loadConfig,
  logLevel,
  postgresUrl,
  PostgresRevocationStore,
  RedisRevocationStore,
  redisUrl,
  seconds,
  type RevocationStore,
} from '@mcp-auth/core';
import { z } from 'zod';
import type { AdminDeps } from '../admin/deps.ts';

export interface CliConnection {
  deps: AdminDeps;
  /** Writes the queued audit events, then closes the connections. */
  close(): Promise<void>;
}

/** What the operator tools read from the environment, documented in their usage text. */
const cliEnv = {
  DATABASE_URL: postgresUrl,
  // Where the revocation set lives, as the authorization server is configured (without Redis, as
  // in the all-in-one mode, Postgres alone).
  REDIS_URL: redisUrl.optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('mcp-auth:'),
  ACCESS_TOKEN_TTL: seconds(900),
  // Audit events are logged as they are written; a command's own output is on stdout, the log on stderr.
  LOG_LEVEL: logLevel.default('warn'),
};

/**
 * The admin operations' dependencies for a command-line tool (`npm run admin`, `npm run user`),
 * from the same variables the authorization server reads. Nothing connects before the first
 * query, so a password can be asked for first; Redis is connected only when something is revoked.
 */
export function connectForCli(env: NodeJS.ProcessEnv = process.env): CliConnection {
  const config = loadConfig(cliEnv, env);
  const logger = createLogger('admin-cli', config.LOG_LEVEL, 2);
  const prisma = createPrisma(config.DATABASE_URL, { max: 1 });
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL) : undefined;
  let store: Promise<RevocationStore> | undefined;
  const ready = () =>
    (store ??= redis
      ? redis.connect().then(() => new RedisRevocationStore(redis, prisma, config.REDIS_KEY_PREFIX))
      : Promise.resolve(new PostgresRevocationStore(prisma)));
  const revocation: RevocationStore = {
    revoke: async (entries) => (await ready()).revoke(entries),
    isRevoked: async (...args) => (await ready()).isRevoked(...args),
    ping: async () => (await ready()).ping(),
  };
  // Written at once on close: a command is short-lived.
  const audit = createAuditLog({ prisma, logger });
  return {
    deps: { prisma, revocation, logger, audit, config: { accessTokenTtl: config.ACCESS_TOKEN_TTL } },
    async close() {
      try {
        await audit.flush();
      } finally {
        redis?.disconnect();
        await prisma.$disconnect();
      }
    },
  };
}

/** The OS account running the tool, for the audit log's actor (`admin:cli:<name>`). */
export function operatorName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
