import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import {
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  loadPolicy,
  PostgresRevocationStore,
  signingKeyFromPem,
  type Logger,
  type PrismaClient,
} from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv } from '@mcp-auth/authz/config';
import { createAllInOneApp } from '@mcp-auth/embedded/all-in-one-app';
import { startPostgres } from './infra.ts';

export interface AllInOneServer {
  base: string;
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * The whole public surface on one port, as the all-in-one mode serves it, on a fresh database.
 * `wrap` may put the app inside another (to add something after it, say); `env` adds authorization
 * server variables, given the server's base URL (known only once it listens).
 */
export async function startAllInOneServer(
  opts: {
    logger?: Logger;
    wrap?: (app: Express) => Express;
    env?: (base: string) => Promise<Record<string, string>>;
  } = {},
): Promise<AllInOneServer> {
  const db = await startPostgres();
  const prisma = createPrisma(db.url);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = opts.logger ?? createLogger('all-in-one-test', 'silent');
  const extra = opts.env ? await opts.env(base) : {};
  const authzEnv = loadAuthzEnv({ PUBLIC_URL: base, DATABASE_URL: db.url, ...extra });
  const authzConfig = authzConfigFrom(authzEnv, loadPolicy(authzEnv));
  const signingKey = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  const revocation = new PostgresRevocationStore(prisma);
  const app = createAllInOneApp({ authzConfig, prisma, signingKey, revocation, logger });
  server.on('request', opts.wrap ? opts.wrap(app) : app);
  return {
    base,
    prisma,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await prisma.$disconnect();
      await db.stop();
    },
  };
}
