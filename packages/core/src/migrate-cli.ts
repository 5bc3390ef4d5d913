// `npm run db:migrate` and the compose `migrate` job: apply prisma/migrations to DATABASE_URL.
import { z } from 'zod';
import { loadConfig, logLevel, postgresUrl } from './config.ts';
import { exitOnStartupError, redactUrl, waitFor } from './http.ts';
import { createLogger } from './logger.ts';
import { runMigrations } from './migrate.ts';
import { defaultMigrationsDir } from './paths.ts';
import pg from 'pg';

const logger = createLogger('migrate');
try {
  const config = loadConfig({
    DATABASE_URL: postgresUrl,
    MIGRATIONS_DIR: z.string().default(defaultMigrationsDir),
    LOG_LEVEL: logLevel,
  });
  logger.level = config.LOG_LEVEL;
  await waitFor('PostgreSQL', redactUrl(config.DATABASE_URL), async () => {
    const c = new pg.Client({ connectionString: config.DATABASE_URL });
    await c.connect();
    await c.end();
  });
  const result = await runMigrations(config.DATABASE_URL, config.MIGRATIONS_DIR, logger);
  logger.info(result, 'migrations up to date');
} catch (err) {
  exitOnStartupError(logger)(err);
}
