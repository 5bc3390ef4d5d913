import express from 'express';
import {
  createLogger,
  createPrisma,
  exitOnStartupError,
  healthRoutes,
  loadOrCreateSigningKey,
  redactUrl,
  serve,
  waitFor,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { authzConfigFrom, loadAuthzEnv } from './config.ts';

const logger = createLogger('authz');
try {
  const env = loadAuthzEnv();
  logger.level = env.LOG_LEVEL;
  const prisma = createPrisma(env.DATABASE_URL);
  const postgres = () => prisma.$queryRaw`SELECT 1`;
  await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), postgres);
  const { key: signingKey, created } = await loadOrCreateSigningKey({
    alg: env.JWT_ALG,
    privateKeyPath: env.JWT_PRIVATE_KEY_PATH,
    dataDir: env.DATA_DIR,
  });
  logger.info({ kid: signingKey.kid, alg: signingKey.alg, created }, 'signing key ready');

  // Health routes live here, not in createApp: the embedded mode serves its own.
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes({ postgres }));
  app.use(createApp({ config: authzConfigFrom(env), prisma, signingKey, logger }));
  await serve({ app, port: env.PORT, logger, onClose: () => prisma.$disconnect() });
} catch (err) {
  exitOnStartupError(logger)(err);
}
