// The authorization server on its own (compose, local stack), with Redis for the revocation set.
import {
  createLogger,
  createPrisma,
  createRedis,
  exitOnStartupError,
  loadOrCreateSigningKey,
  redactUrl,
  RedisRevocationStore,
  serve,
  serviceApp,
  waitFor,
  watchRedis,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { authzConfigFrom, loadAuthzServiceEnv } from './config.ts';
import { startHousekeeping } from './housekeeping.ts';

const logger = createLogger('authz');
try {
  const env = loadAuthzServiceEnv();
  logger.level = env.LOG_LEVEL;
  const prisma = createPrisma(env.DATABASE_URL);
  const postgres = () => prisma.$queryRaw`SELECT 1`;
  await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), postgres);

  const redis = createRedis(env.REDIS_URL);
  const redisReachable = watchRedis(redis, logger, 'revocations answer 503 until it is back');
  await waitFor('Redis', redactUrl(env.REDIS_URL), redisReachable);
  const revocation = new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX, logger);
  // Revocations that reached Postgres but not Redis before a restart (Redis was down, and the
  // retry died with the old process) are copied over now, before any request is served.
  await revocation.rebuild();

  const { key: signingKey, created } = await loadOrCreateSigningKey({
    alg: env.JWT_ALG,
    privateKeyPath: env.JWT_PRIVATE_KEY_PATH,
    dataDir: env.DATA_DIR,
  });
  logger.info({ kid: signingKey.kid, alg: signingKey.alg, created }, 'signing key ready');

  // Health routes live here, not in createApp: the embedded mode serves its own.
  const app = serviceApp({ postgres, redis: redisReachable });
  app.use(createApp({ config: authzConfigFrom(env), prisma, signingKey, logger, revocation }));
  const housekeeping = startHousekeeping({ prisma, logger }, env.HOUSEKEEPING_INTERVAL);
  await serve({
    app,
    port: env.PORT,
    logger,
    onClose: async () => {
      await housekeeping.stop();
      redis.disconnect();
      await prisma.$disconnect();
    },
  });
} catch (err) {
  exitOnStartupError(logger)(err);
}
