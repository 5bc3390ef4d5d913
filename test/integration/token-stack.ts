import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  createAuditLog,
  createLogger,
  createPrisma,
  createRedis,
  generateSigningKeyPem,
  keySet,
  randomToken,
  RedisRevocationStore,
  signingKeyFromPem,
  type AuditLog,
  type PrismaClient,
  type Redis,
  type SigningKey,
} from '@mcp-auth/core';
import { createApp as createAuthzApp } from '../../services/authz/src/app.ts';
import type { AuthzConfig } from '../../services/authz/src/config.ts';
import { createApp as createMcpApp } from '../../services/mcp/src/app.ts';
import { createApp as createRegistrationApp } from '../../services/registration/src/app.ts';
import { mcpConfig } from '../../services/mcp/src/config.ts';
import { startPostgres, startRedis, type TestRedis } from '../support/infra.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { testAuthzConfig } from '../support/authz-config.ts';

/**
 * The authorization server (with registration) and the MCP server as separate apps on their own
 * ports, as in compose:
 * real Postgres, and Redis reached by both through a TCP proxy the test can cut. Each app has its
 * own Redis client and revocation store, so the MCP service learns of revocations only through
 * Redis (or Postgres, when Redis lost its data), exactly as across processes.
 */
export interface TokenStack {
  /** The authorization server's base URL, which is the issuer. */
  issuer: string;
  /** The MCP endpoint, which is the resource (`aud`). */
  resource: string;
  config: AuthzConfig;
  /** The operator's initial access token: registering a client_credentials client needs it. */
  initialAccessToken: string;
  signingKey: SigningKey;
  /** For processes the test runs against the same database (the user CLI). */
  databaseUrl: string;
  prisma: PrismaClient;
  redisInfo: TestRedis;
  /** Between both services and Redis. */
  proxy: TcpProxy;
  /** Between the apps' Prisma clients and PostgreSQL (the test's own `prisma` connects directly). */
  dbProxy: TcpProxy;
  /** A direct connection, for the test to look at (or destroy) the run's keys. */
  redis: Redis;
  /** The audit writer both apps share: `flush()` before reading the audit table. */
  audit: AuditLog;
  close(): Promise<void>;
}

async function listening(): Promise<{ server: Server; base: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * `redis`: a Redis of the test's own (one it may FLUSHALL); the run's shared server otherwise.
 * `redisUrl`: the services reach this REDIS_URL directly instead of that Redis through the proxy (a
 * Cluster or Sentinels, whose clients follow redirections a single proxy cannot carry).
 * `env`: authorization server variables, as its environment would set them (ADMIN_API_TOKEN…).
 */
export async function startTokenStack(
  opts: { redis?: TestRedis; redisUrl?: string; env?: Record<string, string> } = {},
): Promise<TokenStack> {
  const env = opts.env ?? {};
  const [db, redisInfo] = await Promise.all([startPostgres(), opts.redis ?? startRedis()]);
  const prisma = createPrisma(db.url);
  const target = new URL(redisInfo.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const dbTarget = new URL(db.url);
  const dbProxy = await startTcpProxy({ host: dbTarget.hostname, port: Number(dbTarget.port || 5432) });
  const appDbUrl = new URL(db.url);
  appDbUrl.port = String(dbProxy.port);
  const appPrisma = createPrisma(appDbUrl.toString());
  const servicesRedisUrl = opts.redisUrl ?? proxy.url('redis');
  const redis = createRedis(opts.redisUrl ?? redisInfo.url);
  const authzRedis = createRedis(servicesRedisUrl, { commandTimeoutMs: 500 });
  const mcpRedis = createRedis(servicesRedisUrl, { commandTimeoutMs: 500 });
  // Reconnection attempts while the proxy is cut are expected; keep them off the console.
  for (const r of [redis, authzRedis, mcpRedis]) r.on('error', () => undefined);
  await Promise.all([redis.connect(), authzRedis.connect(), mcpRedis.connect()]);

  // Listen first: the issuer and the resource are the servers' real URLs.
  const authz = await listening();
  const mcp = await listening();
  const logger = createLogger('token-stack', 'silent');
  const config: AuthzConfig = testAuthzConfig(authz.base, `${mcp.base}/mcp`, env);
  const audit = createAuditLog({ prisma: appPrisma, logger });
  const signingKey = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  const initialAccessToken = randomToken(32);
  // Registration beside the authorization server, on one origin as behind the gateway.
  const authzRevocation = new RedisRevocationStore(authzRedis, appPrisma, redisInfo.keyPrefix);
  const authzApp = express();
  authzApp.use(
    createRegistrationApp({
      config: {
        issuer: config.issuer,
        accessTokenTtl: config.accessTokenTtl,
        initialAccessToken,
        policy: config.policy,
      },
      prisma: appPrisma,
      logger,
      revocation: authzRevocation,
      audit,
    }),
  );
  authzApp.use(
    createAuthzApp({ config, prisma: appPrisma, signingKey, logger, revocation: authzRevocation, audit }),
  );
  authz.server.on('request', authzApp);
  // The MCP service's own Prisma client: it reads Postgres only to rebuild Redis.
  const mcpPrisma = createPrisma(appDbUrl.toString(), { max: 2 });
  mcp.server.on(
    'request',
    createMcpApp({
      config: mcpConfig({ issuer: config.issuer, policy: config.policy }),
      keys: keySet([signingKey]),
      logger,
      revocation: new RedisRevocationStore(mcpRedis, mcpPrisma, redisInfo.keyPrefix),
    }),
  );

  return {
    issuer: authz.base,
    resource: `${mcp.base}/mcp`,
    config,
    initialAccessToken,
    signingKey,
    databaseUrl: db.url,
    prisma,
    redisInfo,
    proxy,
    dbProxy,
    redis,
    audit,
    async close() {
      for (const s of [authz.server, mcp.server]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
      for (const r of [redis, authzRedis, mcpRedis]) r.disconnect();
      await audit.flush();
      await Promise.all([proxy.close(), dbProxy.close()]);
      await Promise.all([prisma.$disconnect(), appPrisma.$disconnect(), mcpPrisma.$disconnect()]);
      await redisInfo.stop();
      await db.stop();
    },
  };
}

/** Deletes every key of this run: Redis restarted without persistence, as far as we can tell. */
export async function loseRedisData(stack: TokenStack): Promise<number> {
  const keys = await stack.redis.keys(`${stack.redisInfo.keyPrefix}*`);
  if (keys.length) await stack.redis.del(...keys);
  return keys.length;
}
