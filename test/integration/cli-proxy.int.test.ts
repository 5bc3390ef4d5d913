import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createPrisma,
  generateSigningKeyPem,
  loadPolicy,
  PostgresRevocationStore,
  signingKeyFromPem,
  type PrismaClient,
} from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv } from '@mcp-auth/authz/config';
import { createUser } from '@mcp-auth/authz/users';
import { createAllInOneApp } from '@mcp-auth/embedded/all-in-one-app';
import { cliLogIn, launchBrowser } from '../support/browser.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { cli } from '../support/processes.ts';
import { startUpstreamMcp, type UpstreamMcp } from '../support/upstream-mcp.ts';

/**
 * The real `mcp-auth` CLI against the all-in-one mode with MCP_UPSTREAM_URL: it logs in (in
 * Chromium), lists and calls the tools of an operator's MCP server through the proxy.
 */
const USER = { username: 'carol', password: 'proxy-cli-password-1' };
let db: TestDatabase;
let prisma: PrismaClient;
let server: Server;
let browser: Browser;
let upstream: UpstreamMcp;
let mcpUrl: string;
let configDir: string;

const env = () => ({ MCP_AUTH_CONFIG_DIR: configDir, MCP_AUTH_DEBUG: '', BROWSER: 'false' });

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url);
  upstream = await startUpstreamMcp({ stateful: true });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authzEnv = loadAuthzEnv({ PUBLIC_URL: issuer, DATABASE_URL: db.url });
  // As the all-in-one main reads it: one policy for authz and the proxy, with MCP_UPSTREAM_URL.
  const authzConfig = authzConfigFrom(authzEnv, loadPolicy({ ...authzEnv, MCP_UPSTREAM_URL: upstream.url }));
  mcpUrl = `${issuer}/mcp`;
  const app = createAllInOneApp({
    authzConfig,
    prisma,
    signingKey: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
    revocation: new PostgresRevocationStore(prisma),
    logger: createLogger('cli-proxy', 'silent'),
    mcpEnv: {},
  });
  server.on('request', app);
  await createUser(prisma, USER.username, USER.password);
  configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cli-proxy-'));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await upstream?.close();
  await prisma?.$disconnect();
  await db?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('the CLI through the proxy', { timeout: 120_000 }, () => {
  it('logs in, lists the upstream tools and calls one; the upstream sees the user, never the token', async () => {
    await cliLogIn({ browser, mcpUrl, user: USER, env: env() });

    const tools = await cli(['tools', mcpUrl], env());
    expect(tools.code, tools.stderr).toBe(0);
    expect(tools.stdout).toContain('count');
    expect(tools.stdout).toContain('delete_everything');

    const called = await cli(['call', mcpUrl, 'echo', '{"text":"from the cli"}'], env());
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout).toContain('from the cli');

    const seen = upstream.received.filter((r) => JSON.stringify(r.body ?? '').includes('from the cli'));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.headers['x-mcp-auth-subject']).toBeTruthy();
    expect(seen[0]!.headers['x-mcp-auth-scope']).toContain('mcp:tools');
  });
});
