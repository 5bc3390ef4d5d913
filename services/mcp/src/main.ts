// The MCP resource server on its own (compose, local stack), checking revocations in Redis.
import {
  connectServices,
  createLogger,
  exitOnStartupError,
  loadVerificationKeys,
  serve,
  serviceApp,
  warnIfInsecurePublicUrl,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadMcpServiceEnv, mcpConfigFrom } from './config.ts';

const logger = createLogger('mcp');

async function main(): Promise<void> {
  const env = loadMcpServiceEnv();
  logger.level = env.LOG_LEVEL;
  warnIfInsecurePublicUrl(logger, env.PUBLIC_URL);
  const config = mcpConfigFrom(env);
  const keys = await loadVerificationKeys(env.JWT_PUBLIC_KEYS_PATH);
  logger.info(
    { resource: config.resource, issuer: config.issuer, kids: [...keys.keys()] },
    'accepting access tokens',
  );

  const { revocation, checks, close } = await connectServices({
    env,
    logger,
    whenRedisDown: 'MCP requests answer 503 until it is back',
    // Postgres is read only to rebuild Redis after it lost its data.
    needsPostgres: false,
  });

  // Redis only: without it every request is refused (503), so the instance is not ready.
  const root = serviceApp(checks);
  root.use(createApp({ config, keys, logger, revocation }));
  await serve({
    app: root,
    port: env.PORT,
    logger,
    onClose: close,
  });
}

main().catch(exitOnStartupError(logger));
