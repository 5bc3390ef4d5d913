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
import { remoteJwks, type KeySet, type KeySource } from '@mcp-auth/resource-server';
import { createApp } from './app.ts';
import { keySourceFrom, loadMcpServiceEnv, mcpConfigFrom } from './config.ts';

const logger = createLogger('mcp');

async function main(): Promise<void> {
  const env = loadMcpServiceEnv();
  logger.level = env.LOG_LEVEL;
  warnIfInsecurePublicUrl(logger, env.PUBLIC_URL);
  const config = mcpConfigFrom(env);
  const source = keySourceFrom(env, config.issuer);
  let keys: KeySet | KeySource;
  if ('file' in source) {
    keys = await loadVerificationKeys(source.file);
    logger.info({ issuer: config.issuer, kids: [...keys.keys()], file: source.file }, 'public keys loaded');
  } else {
    // Fetched on the first token and whenever a token names a new kid; nothing to copy here.
    keys = remoteJwks(source.jwksUri);
    logger.info({ issuer: config.issuer, jwks: source.jwksUri }, 'verifying with the issuer JWKS');
  }
  for (const server of config.policy.servers) {
    logger.info(
      {
        resource: server.resource,
        upstream: server.upstream ?? 'built-in demo tools',
        required: server.required,
      },
      'protecting MCP server',
    );
  }

  const { revocation, checks, close } = await connectServices({
    env,
    logger,
    whenRedisDown: 'MCP requests answer 503 until it is back',
    // Postgres is read only to rebuild Redis after it lost its data.
    needsPostgres: false,
  });

  // Redis only: without it every request is refused (503), so the instance is not ready.
  const root = serviceApp(checks);
  const app = createApp({ config, keys, logger, revocation });
  root.use(app);
  await serve({
    app: root,
    port: env.PORT,
    logger,
    onClose: async () => {
      await app.closeUpstreams();
      await close();
    },
  });
}

main().catch(exitOnStartupError(logger));
