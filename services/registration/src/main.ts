// The registration service on its own (compose, local stack): RFC 7591/7592 on PORT, with Redis for
// the revocation set (deleting a client revokes its tokens).
import {
  connectServices,
  createAuditLog,
  createLogger,
  exitOnStartupError,
  loadPolicy,
  serve,
  serviceApp,
  warnIfInsecurePublicUrl,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadRegistrationServiceEnv, registrationConfigFrom } from './config.ts';

const logger = createLogger('registration');

async function main() {
  const env = loadRegistrationServiceEnv();
  logger.level = env.LOG_LEVEL;
  warnIfInsecurePublicUrl(logger, env.PUBLIC_URL);
  // Read once at start; a bad policy file stops the start with one line.
  const policy = loadPolicy(env);
  const { prisma, redis, revocation, checks, close } = await connectServices({
    env,
    logger,
    whenRedisDown: 'client deletion answers 503 until it is back',
  });

  // Built here, not in createApp, so that a graceful stop writes what is still queued.
  const audit = createAuditLog({ prisma, logger });
  const app = serviceApp(checks);
  app.use(
    createApp({
      config: registrationConfigFrom(env, policy),
      prisma,
      logger,
      revocation,
      rateLimits: { redis, keyPrefix: env.REDIS_KEY_PREFIX },
      audit,
    }),
  );
  await serve({
    app,
    port: env.PORT,
    logger,
    onClose: async () => {
      await audit.flush();
      await close();
    },
  });
}

main().catch(exitOnStartupError(logger));
