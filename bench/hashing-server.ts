// The authorization server of the hashing benchmark (bench/hashing.ts), in its own process so that
// the load generator does not share its event loop: the all-in-one app on the scratch database the
// parent prepared. PASSWORD_HASH_COST and PASSWORD_HASH_CONCURRENCY come from the parent's
// environment. The chosen port goes back over IPC; the process ends when the parent disconnects.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  loadPolicy,
  PostgresRevocationStore,
  signingKeyFromPem,
} from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv } from '@mcp-auth/authz/config';
import { createAllInOneApp } from '@mcp-auth/embedded/all-in-one-app';

const databaseUrl = process.env.BENCH_HASHING_DATABASE_URL ?? '';
const prisma = createPrisma(databaseUrl);
const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const authzEnv = loadAuthzEnv({
  ...process.env,
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  DATABASE_URL: databaseUrl,
});
const app = createAllInOneApp({
  authzConfig: authzConfigFrom(authzEnv, loadPolicy(authzEnv)),
  prisma,
  signingKey: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
  revocation: new PostgresRevocationStore(prisma),
  logger: createLogger('bench-hashing', 'error'),
});
server.on('request', app);
process.send!({ port });
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  void prisma.$disconnect();
});
