// The registration service on its own (compose, local stack): RFC 7591/7592 on PORT, with Redis for
// the revocation set (deleting a client revokes its tokens).
import {
  createLogger,
  createPrisma,
  createRedis,
  exitOnStartupError,
  redactUrl,
  RedisRevocationStore,
  serve,
  serviceApp,
  waitFor,
  watchRedis,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadRegistrationServiceEnv, registrationConfigFrom } from './config.ts';

const logger = createLogger('registration');

async function main() {
  const env = loadRegistrationServiceEnv();
  logger.level = env.LOG_LEVEL;
  const prisma = createPrisma(env.DATABASE_URL);
  const postgres = () => prisma.$queryRaw`SELECT 1`;
  await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), postgres);
  const redis = createRedis(env.REDIS_URL);
  const redisReachable = watchRedis(redis, logger, 'client deletion answers 503 until it is back');
  await waitFor('Redis', redactUrl(env.REDIS_URL), redisReachable);
  const revocation = new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX, logger);

  const app = serviceApp({ postgres, redis: redisReachable });
  app.use(createApp({ config: registrationConfigFrom(env), prisma, logger, revocation }));
  await serve({
    app,
    port: env.PORT,
    logger,
    onClose: async () => {
      redis.disconnect();
      await prisma.$disconnect();
    },
  });
}

main().catch(exitOnStartupError(logger));
