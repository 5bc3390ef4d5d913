import express from 'express';
import { createLogger, exitOnStartupError, healthRoutes, loadVerificationKeys, serve } from '@mcp-auth/core';
import { createApp } from './app.ts';
import { loadMcpEnv, mcpConfigFrom } from './config.ts';

async function main(): Promise<void> {
  const env = loadMcpEnv();
  const logger = createLogger('mcp', env.LOG_LEVEL);
  const config = mcpConfigFrom(env);
  const keys = await loadVerificationKeys(env.JWT_PUBLIC_KEYS_PATH);
  logger.info(
    { resource: config.resource, issuer: config.issuer, kids: [...keys.keys()] },
    'accepting access tokens',
  );
  // TODO(revocation): pass the Redis-backed RevocationChecker here and make /readyz check Redis.
  logger.warn('no revocation checker configured: revoked tokens are accepted until they expire');

  const root = express();
  root.disable('x-powered-by');
  root.use(healthRoutes({}));
  root.use(createApp({ config, keys, logger }));
  await serve({ app: root, port: env.PORT, logger });
}

main().catch(exitOnStartupError(createLogger('mcp')));
