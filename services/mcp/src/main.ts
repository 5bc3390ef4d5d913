// The MCP resource server on its own (compose, local stack), checking revocations in Redis.
import {
  createLogger,
  createPrisma,
  createRedis,
  exitOnStartupError,
  loadVerificationKeys,
  redactUrl,
  RedisRevocationStore,
  serve,
  serviceApp,
  waitFor,
  watchRedis,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadMcpServiceEnv, mcpConfigFrom } from './config.ts';

const logger = createLogger('mcp');

async function main(): Promise<void> {
  const env = loadMcpServiceEnv();
  logger.level = env.LOG_LEVEL;
  const config = mcpConfigFrom(env);
  const keys = await loadVerificationKeys(env.JWT_PUBLIC_KEYS_PATH);
  logger.info(
    { resource: config.resource, issuer: config.issuer, kids: [...keys.keys()] },
    'accepting access tokens',
  );

  // Postgres is read only when Redis lost its data, so a small pool, and no wait for it here.
  const prisma = createPrisma(env.DATABASE_URL, { max: 2 });
  const redis = createRedis(env.REDIS_URL);
  const redisReachable = watchRedis(redis, logger, 'MCP requests answer 503 until it is back');
  await waitFor('Redis', redactUrl(env.REDIS_URL), redisReachable);
  const revocation = new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX, logger);

  // Redis only: without it every request is refused (503), so the instance is not ready.
  const root = serviceApp({ redis: redisReachable });
  root.use(createApp({ config, keys, logger, revocation }));
  await serve({
    app: root,
    port: env.PORT,
    logger,
    onClose: async () => {
      redis.disconnect();
      await prisma.$disconnect();
    },
  });
}

main().catch(exitOnStartupError(logger));
