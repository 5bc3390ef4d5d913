// The registration service on its own (compose, local stack): RFC 7591/7592 on PORT.
import {
  createLogger,
  createPrisma,
  exitOnStartupError,
  redactUrl,
  serve,
  serviceApp,
  waitFor,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadRegistrationEnv, registrationConfigFrom } from './config.ts';

const logger = createLogger('registration');

async function main() {
  const env = loadRegistrationEnv();
  logger.level = env.LOG_LEVEL;
  const prisma = createPrisma(env.DATABASE_URL);
  await waitFor('PostgreSQL', redactUrl(env.DATABASE_URL), () => prisma.$queryRaw`SELECT 1`);

  const app = serviceApp({ postgres: () => prisma.$queryRaw`SELECT 1` });
  app.use(createApp({ config: registrationConfigFrom(env), prisma, logger }));
  await serve({ app, port: env.PORT, logger, onClose: () => prisma.$disconnect() });
}

main().catch(exitOnStartupError(logger));
