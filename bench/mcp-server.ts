// One MCP server for the load benchmark, in its own process so that the load generator (autocannon, in
// bench/run.ts) does not share its event loop. Started by run.ts with fork(); the spec comes in
// BENCH_SERVER, the chosen port goes back over IPC, and the process ends when run.ts disconnects.
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  createLogger,
  createPrisma,
  createRedis,
  parseVerificationKeys,
  RedisRevocationStore,
  type PrismaClient,
  type Redis,
} from '@mcp-auth/core';
import { createApp } from '../services/mcp/src/app.ts';
import { toAuthInfo, type AuthenticatedRequest } from '@mcp-auth/resource-server';
import { mcpConfigFrom } from '../services/mcp/src/config.ts';
import { handleMcpPost, jsonRpcBody } from '../services/mcp/src/mcp/endpoint.ts';
import { tools } from '../services/mcp/src/tools/index.ts';
import { startUpstreamMcp } from '../test/support/upstream-mcp.ts';
import type { ServerSpec } from './server-spec.ts';

const spec = JSON.parse(process.env.BENCH_SERVER ?? '') as ServerSpec;
const logger = createLogger('bench-mcp', 'error');
const config = mcpConfigFrom({ PUBLIC_URL: spec.issuer, MCP_UPSTREAM_URL: spec.upstreamUrl });
const demo = config.policy.servers[0]!;

let prisma: PrismaClient | undefined;
let redis: Redis | undefined;

async function authorizedApp(): Promise<express.Express> {
  prisma = createPrisma(spec.databaseUrl, { max: 2 });
  redis = createRedis(spec.redisUrl);
  await redis.connect();
  const revocation = new RedisRevocationStore(redis, prisma, spec.keyPrefix, logger);
  // The service as deployed: bearer check (local JWT verification, then Redis), scopes, MCP.
  return createApp({ config, keys: parseVerificationKeys(spec.publicKeyPem), logger, revocation });
}

/**
 * The same MCP handler and body parser as createApp mounts, without the bearer and scope checks. The
 * tools read the caller from `req.auth`, so a fixed identity stands where the verified token would be;
 * it lives here, not in the service, so no deployment can turn authentication off.
 */
function unauthorizedApp(): express.Express {
  const caller = toAuthInfo(
    {
      subject: 'bench-user',
      clientId: 'bench-client',
      scopes: spec.scopes,
      jti: 'none',
      sid: 'none',
      expiresAt: 0,
    },
    'none',
    demo.resource,
  );
  const app = express();
  app.disable('x-powered-by');
  app.post(
    demo.path,
    (req, _res, next) => {
      (req as AuthenticatedRequest).auth = caller;
      next();
    },
    jsonRpcBody('1mb'),
    handleMcpPost({ tools, toolScopes: demo.tools, logger }),
  );
  return app;
}

if (spec.mode === 'upstream') {
  // The operator's own server, as the proxy tests use it, without their per-request records.
  const upstream = await startUpstreamMcp({ stateful: false, record: false });
  process.send?.({ port: Number(new URL(upstream.url).port) });
  process.on('disconnect', () => void upstream.close().finally(() => process.exit(0)));
} else {
  // proxy: createApp forwards to spec.upstreamUrl (config above), after the same bearer check.
  const app = spec.mode === 'unauthorized' ? unauthorizedApp() : await authorizedApp();
  const server = app.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
  process.on('disconnect', () => {
    server.close();
    server.closeAllConnections();
    redis?.disconnect();
    void prisma?.$disconnect().finally(() => process.exit(0));
    if (!prisma) process.exit(0);
  });
}
