// The authorization server on its own (compose, local stack), with Redis for the revocation set.
import {
  connectServices,
  createAuditLog,
  loadVerificationKeys,
  createLogger,
  exitOnStartupError,
  listenForClientChanges,
  loadOrCreateSigningKey,
  loadPolicy,
  serve,
  serviceApp,
  warnIfInsecurePublicUrl,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { authzConfigFrom, loadAuthzServiceEnv } from './config.ts';
import { startHousekeeping } from './housekeeping.ts';

const logger = createLogger('authz');
try {
  const env = loadAuthzServiceEnv();
  logger.level = env.LOG_LEVEL;
  warnIfInsecurePublicUrl(logger, env.PUBLIC_URL);
  // Read once, before anything connects: a bad policy file stops the start with one line.
  const policy = loadPolicy(env);
  logger.info(
    { scopes: [...policy.scopes.keys()], resources: policy.servers.map((s) => s.resource) },
    'policy loaded',
  );
  const { prisma, redis, revocation, checks, close } = await connectServices({
    env,
    logger,
    whenRedisDown: 'revocations answer 503 until it is back',
    redisAutoPipelining: true,
  });
  // Revocations that reached Postgres but not Redis before a restart (Redis was down, and the
  // retry died with the old process) are copied over now, before any request is served.
  await revocation.rebuild();

  const { key: signingKey, created } = await loadOrCreateSigningKey({
    alg: env.JWT_ALG,
    privateKeyPath: env.JWT_PRIVATE_KEY_PATH,
    dataDir: env.DATA_DIR,
  });
  logger.info({ kid: signingKey.kid, alg: signingKey.alg, created }, 'signing key ready');
  const previousKeys = env.JWT_PREVIOUS_PUBLIC_KEYS_PATH
    ? [...(await loadVerificationKeys(env.JWT_PREVIOUS_PUBLIC_KEYS_PATH)).values()]
    : [];

  // Built here, not in createApp, so that a graceful stop writes what is still queued.
  const audit = createAuditLog({ prisma, logger });

  // Every replica caches client records; Postgres tells each one when a client changes.
  const clientChanges = listenForClientChanges(env.DATABASE_URL, logger);

  // Health routes live here, not in createApp: the embedded mode serves its own.
  const app = serviceApp(checks);
  app.use(
    createApp({
      config: authzConfigFrom(env, policy),
      prisma,
      signingKey,
      previousKeys,
      logger,
      revocation,
      rateLimits: { redis, keyPrefix: env.REDIS_KEY_PREFIX },
      audit,
      clientChanges,
    }),
  );
  const housekeeping = startHousekeeping(
    { prisma, logger, auditRetentionSeconds: env.AUDIT_RETENTION, audit },
    env.HOUSEKEEPING_INTERVAL,
    {
      revocation,
      retentionSeconds: env.CLIENT_RETENTION,
      accessTokenTtl: env.ACCESS_TOKEN_TTL,
    },
  );
  await serve({
    app,
    port: env.PORT,
    logger,
    onClose: async () => {
      await housekeeping.stop();
      await audit.flush();
      await clientChanges.close();
      await close();
    },
  });
} catch (err) {
  exitOnStartupError(logger)(err);
}
