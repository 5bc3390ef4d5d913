// The all-in-one mode (`npm start`): registration, authorization server and MCP server in one
// process on one port, with an embedded PostgreSQL unless DATABASE_URL is given. See DESIGN
// "Runtime modes".
import { z } from 'zod';
import {
  createLogger,
  createAuditLog,
  createPrisma,
  defaultMigrationsDir,
  exitOnStartupError,
  flag,
  healthRoutes,
  loadConfig,
  loadOrCreateSigningKey,
  loadPolicy,
  listenForClientChanges,
  loadVerificationKeys,
  logLevel,
  policyEnv,
  port,
  PostgresRevocationStore,
  postgresUrl,
  publicUrl as publicUrlSchema,
  runMigrations,
  serve,
  strictApp,
  warnIfInsecurePublicUrl,
} from '@mcp-auth/core';
import { startHousekeeping } from '@mcp-auth/authz';
import { authzConfigFrom, loadAuthzEnv } from '@mcp-auth/authz/config';
import { initialAccessTokenEnv } from '@mcp-auth/registration/config';
import { createAllInOneApp } from './all-in-one-app.ts';
import { ensureFirstAdmin } from './first-admin.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './postgres/embedded-database.ts';

const logger = createLogger('mcp-auth');

async function main() {
  const env = loadConfig({
    PORT: port(8080),
    HOST: z.string().default('127.0.0.1'),
    PUBLIC_URL: publicUrlSchema.optional(),
    ALLOW_INSECURE_PUBLIC_URL: flag(),
    ...policyEnv,
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().default('.data'),
    LOG_LEVEL: logLevel,
    ...initialAccessTokenEnv,
  });
  logger.level = env.LOG_LEVEL;
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  warnIfInsecurePublicUrl(logger, publicUrl);

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(env.DATA_DIR, logger);
    databaseUrl = embedded.url;
  }
  try {
    await runMigrations(databaseUrl, defaultMigrationsDir, logger);
    // The authorization server's own variables (token lifetimes, JWT_ALG, ...) apply here too.
    const authzEnv = loadAuthzEnv({ ...process.env, PUBLIC_URL: publicUrl, DATABASE_URL: databaseUrl });
    // One policy for the three apps, read once: scopes, consent wording and the protected servers.
    const policy = loadPolicy({ ...authzEnv, MCP_UPSTREAM_URL: env.MCP_UPSTREAM_URL });
    const authzConfig = authzConfigFrom(authzEnv, policy);
    const prisma = createPrisma(databaseUrl);
    const { key: signingKey } = await loadOrCreateSigningKey({
      alg: authzEnv.JWT_ALG,
      privateKeyPath: authzEnv.JWT_PRIVATE_KEY_PATH,
      dataDir: env.DATA_DIR,
    });
    const admin = await ensureFirstAdmin(prisma);
    // No Redis here: the authorization server records revocations in Postgres and the MCP
    // server asks Postgres, through the one store both share.
    const revocation = new PostgresRevocationStore(prisma);
    const clientChanges = listenForClientChanges(databaseUrl, logger);

    // No gateway in front: X-Forwarded-For is whatever the client sent, so trust proxy stays off
    // and the login throttle counts the connecting address.
    // Flushed on a graceful stop, before the database closes.
    const audit = createAuditLog({ prisma, logger });
    const app = strictApp();
    app.use(healthRoutes({ postgres: () => prisma.$queryRaw`SELECT 1` }));
    app.use(
      createAllInOneApp({
        authzConfig,
        prisma,
        signingKey,
        previousKeys: authzEnv.JWT_PREVIOUS_PUBLIC_KEYS_PATH
          ? [...(await loadVerificationKeys(authzEnv.JWT_PREVIOUS_PUBLIC_KEYS_PATH)).values()]
          : [],
        revocation,
        logger,
        registrationInitialAccessToken: env.REGISTRATION_INITIAL_ACCESS_TOKEN,
        audit,
        clientChanges,
      }),
    );
    const housekeeping = startHousekeeping(
      {
        prisma,
        logger: logger.child({ app: 'housekeeping' }),
        auditRetentionSeconds: authzEnv.AUDIT_RETENTION,
        audit,
      },
      authzEnv.HOUSEKEEPING_INTERVAL,
      {
        revocation,
        retentionSeconds: authzEnv.CLIENT_RETENTION,
        accessTokenTtl: authzEnv.ACCESS_TOKEN_TTL,
      },
    );

    await serve({
      app,
      port: env.PORT,
      host: env.HOST,
      logger,
      onClose: async () => {
        await housekeeping.stop();
        await audit.flush();
        await clientChanges.close();
        await prisma.$disconnect();
        await embedded?.stop();
      },
    });
    const lines = [
      '',
      `mcp-auth is running at ${publicUrl}`,
      ...policy.servers.map((s) => `  MCP endpoint:          ${s.resource}`),
      `  authorization server:  ${publicUrl}/.well-known/oauth-authorization-server`,
      `  database:              ${embedded ? `embedded PostgreSQL in ${embedded.databaseDir}` : 'DATABASE_URL'}`,
      `  log in with the CLI:   npm run client -- login ${policy.servers[0]!.resource}`,
    ];
    if (admin) {
      lines.push(
        '',
        'First start: created the user below. The password is shown only this once;',
        'change it with `npm run user -- passwd admin`, add users with `npm run user -- add <name>`.',
        `  username: ${admin.username}`,
        `  password: ${admin.password}`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n\n');
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

main().catch(exitOnStartupError(logger));
