import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createPrisma,
  createRedis,
  generateSigningKeyPem,
  loadPolicy,
  RedisRevocationStore,
  type RevocationSubject,
  signingKeyFromPem,
  type PrismaClient,
  type Redis,
} from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv } from '@mcp-auth/authz/config';
import { createUser } from '@mcp-auth/authz/users';
import { createAllInOneApp } from '@mcp-auth/embedded/all-in-one-app';
import { CredentialStore, type StoredTokens } from '../../client/src/store.ts';
import { cliLogIn, launchBrowser, logInAndConsent } from '../support/browser.ts';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../support/infra.ts';
import { cli, cliBin, start } from '../support/processes.ts';

/**
 * The token lifecycle as a user of the real `mcp-auth` binary sees it, against the three apps mounted
 * on one port (as in the embedded mode) with real Postgres and Redis, and access tokens that live two
 * seconds: login through the browser, a silent refresh that rotates the refresh token, and a logout
 * that the server enforces.
 */
const ACCESS_TOKEN_TTL = 2;
const USER = { username: 'alice', password: 'lifecycle-password-1' };
// REGISTRATION_INITIAL_ACCESS_TOKEN: only the operator registers client_credentials clients.
const INITIAL_ACCESS_TOKEN = 'lifecycle-initial-access-token-0123456789';

let db: TestDatabase;
let redisServer: TestRedis;
let prisma: PrismaClient;
let redis: Redis;
let revocation: RedisRevocationStore;
let server: Server;
let browser: Browser;
let issuer: string;
let mcpUrl: string;
let configDir: string;
let store: CredentialStore;

const env = () => ({ MCP_AUTH_CONFIG_DIR: configDir, MCP_AUTH_DEBUG: '', BROWSER: 'false' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function storedTokens(): Promise<StoredTokens | undefined> {
  return (await store.read(mcpUrl))?.tokens;
}

/** Waits until the stored access token's own expiry has passed (no fixed sleep). */
async function untilExpired(tokens: StoredTokens): Promise<void> {
  expect(tokens.expires_at).toBeTypeOf('number');
  const expiresAtMs = tokens.expires_at! * 1000;
  while (Date.now() < expiresAtMs) await sleep(Math.min(100, expiresAtMs - Date.now()));
}

/** What the person does with the authorization URL the CLI prints: signs in and allows, in Chromium. */
async function approveInBrowser(url: string): Promise<void> {
  const page = await browser.newPage();
  try {
    await logInAndConsent(page, url, USER);
  } finally {
    await page.close();
  }
}

async function logIn(scopeArgs: string[] = []): Promise<void> {
  await cliLogIn({ browser, mcpUrl, user: USER, env: env(), args: scopeArgs });
}

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as RevocationSubject;

/** A tools/call straight to the MCP endpoint with a given bearer token. */
const callMcp = (accessToken: string) =>
  fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x' } },
    }),
  });

/** Ends the grant behind the CLI's back, as an administrator or another device would (RFC 7009). */
async function revokeAtServer(
  token: string,
  clientId: string,
  hint: 'refresh_token' | 'access_token' = 'refresh_token',
): Promise<number> {
  const response = await fetch(`${issuer}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: hint, client_id: clientId }),
  });
  await response.body?.cancel();
  return response.status;
}

/** A refresh at the token endpoint as the CLI's public client would send it. */
async function refreshAtServer(refreshToken: string, clientId: string) {
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
    }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

beforeAll(async () => {
  [db, redisServer] = await Promise.all([startPostgres(), startRedis()]);
  const logger = createLogger('cli-lifecycle', 'silent');
  prisma = createPrisma(db.url);
  redis = createRedis(redisServer.url);
  await redis.connect();
  revocation = new RedisRevocationStore(redis, prisma, redisServer.keyPrefix, logger);

  // Listen first: the issuer URL needs the port, and the apps need the issuer.
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const authzEnv = loadAuthzEnv({
    PUBLIC_URL: issuer,
    DATABASE_URL: db.url,
    ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
  });
  const authzConfig = authzConfigFrom(authzEnv, loadPolicy(authzEnv));
  mcpUrl = authzConfig.policy.servers[0]!.resource;
  const signingKey = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  const app = createAllInOneApp({
    authzConfig,
    prisma,
    signingKey,
    revocation,
    logger,
    registrationInitialAccessToken: INITIAL_ACCESS_TOKEN,
  });
  server.on('request', app);

  await createUser(prisma, USER.username, USER.password);
  configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-lifecycle-'));
  store = new CredentialStore(configDir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  redis?.disconnect();
  await prisma?.$disconnect();
  await Promise.all([db?.stop(), redisServer?.stop()]);
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

/**
 * Pushes the stored expiry out, so that the CLI sends the access token, and revokes that token alone:
 * the MCP server answers 401 invalid_token, and the SDK's refresh on 401 must go through our store.
 */
async function refuseStoredAccessToken(): Promise<StoredTokens> {
  const clientId = (await store.read(mcpUrl))!.clientInformation!.client_id;
  const record = (await store.update(mcpUrl, (current) => ({
    ...current,
    tokens: { ...current!.tokens!, expires_at: Math.floor(Date.now() / 1000) + 3600 },
  })))!;
  const tokens = record.tokens!;
  expect(await revokeAtServer(tokens.access_token, clientId, 'access_token')).toBe(200);
  return tokens;
}

/** Registers a client_credentials client as the operator would (RFC 7591 with the initial access token). */
async function registerMachineClient(scope: string): Promise<{ client_id: string; client_secret: string }> {
  const response = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
    body: JSON.stringify({
      client_name: 'nightly job',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret: string };
}

/** The CLI in a terminal: util-linux script(1) gives it one for stdin and stderr. */
const inTerminal = (...args: string[]) =>
  start('script', ['-qefc', [process.execPath, cliBin, ...args].join(' '), '/dev/null'], env());

describe('the CLI over the token lifecycle', { timeout: 120_000 }, () => {
  it('refreshes an expired access token silently, rotating the refresh token, and logs out at the server', async () => {
    await logIn();
    const first = await cli(['call', mcpUrl, 'echo', '{"text":"before expiry"}'], env());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('before expiry');

    // The call may already have refreshed (the token lives 2 s): compare with what is stored now.
    const before = (await storedTokens())!;
    expect(before.refresh_token).toBeTruthy();
    await untilExpired(before);

    const second = await cli(['call', mcpUrl, 'echo', '{"text":"after expiry"}'], env());
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('after expiry');
    const after = (await storedTokens())!;
    expect(after.refresh_token).toBeTruthy();
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.expires_at!).toBeGreaterThan(before.expires_at!);

    const listed = await cli(['status', '--json'], env());
    expect(listed.code).toBe(0);
    const [entry] = (JSON.parse(listed.stdout) as { servers: Record<string, unknown>[] }).servers;
    expect(entry).toMatchObject({
      serverUrl: mcpUrl,
      issuer,
      loggedIn: true,
      scope: 'mcp:tools',
      refreshable: true,
      expiresAt: new Date(after.expires_at! * 1000).toISOString(),
    });
    const clientId = (await store.read(mcpUrl))!.clientInformation!.client_id;
    expect(entry!.clientId).toBe(clientId);

    const logout = await cli(['logout', mcpUrl], env());
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toBe('');
    expect(logout.stdout).toMatch(/^Logged out of .*tokens revoked at the server/);

    // The server took the grant back: the last refresh token is refused, the last access token too
    // (and that for being revoked, whether or not it has expired by now).
    const refreshed = await refreshAtServer(after.refresh_token!, clientId);
    expect(refreshed).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });
    const refused = await callMcp(after.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(await revocation.isRevoked(claimsOf(after.access_token))).toBe(true);

    // Locally: tokens gone, registration kept.
    const record = await store.read(mcpUrl);
    expect(record?.tokens).toBeUndefined();
    expect(record?.clientInformation?.client_id).toBe(clientId);
    const status = await cli(['status', '--json'], env());
    expect(JSON.parse(status.stdout)).toEqual({
      servers: [
        expect.objectContaining({
          serverUrl: mcpUrl,
          clientId,
          loggedIn: false,
          expiresAt: null,
          refreshable: false,
        }),
      ],
    });
    const afterLogout = await cli(['call', mcpUrl, 'echo', '{"text":"x"}'], env());
    expect(afterLogout.code).toBe(1);
    expect(afterLogout.stderr).toContain(`Not logged in to ${mcpUrl}`);
  });

  it('refreshes when the server refuses an access token that has not expired by its stored expiry', async () => {
    await logIn();
    const before = await refuseStoredAccessToken();
    expect((await callMcp(before.access_token)).status).toBe(401);

    const run = await cli(['call', mcpUrl, 'echo', '{"text":"after a 401"}'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('after a 401');
    const after = (await storedTokens())!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).toBeTruthy();
    expect(after.refresh_token).not.toBe(before.refresh_token);
  });

  it('lets concurrent commands share one refresh after a 401, without spending a refresh token twice', async () => {
    await logIn();
    // Every command sends the refused token, gets a 401 and has the SDK refresh. A second use of a
    // rotated refresh token would make the server revoke the whole grant (reuse detection): the
    // commands must take turns and reuse the first rotation.
    const before = await refuseStoredAccessToken();

    const texts = ['one', 'two', 'three', 'four'];
    const runs = await Promise.all(
      texts.map((text) => cli(['call', mcpUrl, 'echo', JSON.stringify({ text })], env())),
    );
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(texts[i]);
    });

    const after = (await storedTokens())!;
    expect(after.refresh_token).toBeTruthy();
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // The grant lives on: the stored refresh token still works at the server, and a later command too.
    const later = await cli(['call', mcpUrl, 'echo', '{"text":"later"}'], env());
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain('later');
    const current = (await storedTokens())!;
    const clientId = (await store.read(mcpUrl))!.clientInformation!.client_id;
    expect(await refreshAtServer(current.refresh_token!, clientId)).toEqual({
      status: 200,
      body: expect.objectContaining({ access_token: expect.any(String) }),
    });
  });

  it('reports an expired session when the server refuses the refresh token, and drops the tokens', async () => {
    await logIn();
    const tokens = (await storedTokens())!;
    const clientId = (await store.read(mcpUrl))!.clientInformation!.client_id;
    expect(await revokeAtServer(tokens.refresh_token!, clientId)).toBe(200);
    await untilExpired(tokens);

    // Not a terminal (stdin is a pipe): no browser, just the message and exit status 1.
    const run = await cli(['call', mcpUrl, 'echo', '{"text":"x"}'], env());
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`mcp-auth: Session expired: run \`mcp-auth login ${mcpUrl}\``);
    const record = await store.read(mcpUrl);
    expect(record?.tokens).toBeUndefined();
    expect(record?.clientInformation?.client_id).toBe(clientId);
  });

  it('logs in again through the browser when the session expired in a terminal, then runs the command', async () => {
    await logIn();
    const tokens = (await storedTokens())!;
    const clientId = (await store.read(mcpUrl))!.clientInformation!.client_id;
    expect(await revokeAtServer(tokens.refresh_token!, clientId)).toBe(200);
    await untilExpired(tokens);

    // util-linux script(1) gives the CLI a terminal for stdin and stderr; BROWSER=false opens nothing,
    // so the test follows the printed URL as the person would.
    const command = [
      process.execPath,
      cliBin,
      'call',
      mcpUrl,
      'echo',
      '\'{"text":"after a new login"}\'',
    ].join(' ');
    const run = start('script', ['-qefc', command, '/dev/null'], env());
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/);
    expect(run.output()).toContain(`Session expired; logging in to ${mcpUrl} again.`);
    await approveInBrowser(url!);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain('after a new login');
    const renewed = (await storedTokens())!;
    expect(renewed.refresh_token).toBeTruthy();
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('in a terminal, answers a 403 insufficient_scope by authorizing again with the scopes held and the ones named, then runs the command', async () => {
    await logIn();
    expect((await storedTokens())!.scope).toBe('mcp:tools');

    const run = inTerminal('whoami', mcpUrl);
    const [url] = await run.waitFor(/http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+/);
    expect(run.output()).toMatch(
      new RegExp(
        `Insufficient scope for ${mcpUrl}: it needs scope "[^"]*mcp:identity[^"]*".*; authorizing again with scope "mcp:tools mcp:identity"`,
      ),
    );
    // SEP-2350: the scope already held is asked for again, next to the one the server named.
    expect(new URL(url!).searchParams.get('scope')).toBe('mcp:tools mcp:identity');
    await approveInBrowser(url!);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain(`"client_id"`);
    expect((await storedTokens())!.scope!.split(' ').sort()).toEqual(['mcp:identity', 'mcp:tools']);
  });

  it('keeps the error naming the login to run in scripts and with --json, where nobody can answer a browser', async () => {
    await logIn();
    for (const args of [
      ['whoami', mcpUrl],
      ['whoami', mcpUrl, '--json'],
    ]) {
      const run = await cli(args, env());
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim()).toMatch(
        new RegExp(
          `^mcp-auth: Insufficient scope for ${mcpUrl}: it needs scope "[^"]*mcp:identity[^"]*" \\(missing: mcp:identity\\); run \`mcp-auth login ${mcpUrl} --scope "mcp:tools mcp:identity"\`$`,
        ),
      );
    }
    expect((await storedTokens())!.scope).toBe('mcp:tools');
  });

  it('logs in as a machine with client_credentials: no browser, the secret left in its file, a new token when it expires, step-up without a person', async () => {
    const client = await registerMachineClient('mcp:tools mcp:identity');
    const secretFile = join(configDir, '..', `${client.client_id}.secret`);
    await writeFile(secretFile, `${client.client_secret}\n`, { mode: 0o600 });
    try {
      const login = await cli(
        [
          'login',
          mcpUrl,
          '--client-id',
          client.client_id,
          '--client-secret-file',
          secretFile,
          '--scope',
          'mcp:tools',
        ],
        env(),
      );
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toMatch(
        new RegExp(`^Logged in to ${mcpUrl} as client ${client.client_id} \\(scopes mcp:tools`),
      );
      const first = (await storedTokens())!;
      expect(first.refresh_token).toBeUndefined();
      expect(await readFile(store.fileFor(mcpUrl), 'utf8')).not.toContain(client.client_secret);
      expect((await store.read(mcpUrl))?.machine).toEqual({
        clientId: client.client_id,
        secretFile,
        scope: 'mcp:tools',
      });

      // Past the token's expiry, the next command asks the token endpoint for a new one.
      await untilExpired(first);
      const call = await cli(['call', mcpUrl, 'echo', '{"text":"from a machine"}'], env());
      expect(call.code, call.stderr).toBe(0);
      expect(call.stdout).toContain('from a machine');
      const renewed = (await storedTokens())!;
      expect(renewed.access_token).not.toBe(first.access_token);
      expect(claimsOf(renewed.access_token).client_id).toBe(client.client_id);

      // Not a terminal, and still a step-up: a machine has nobody to ask, so it asks the token endpoint.
      const whoami = await cli(['whoami', mcpUrl, '--json'], env());
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(JSON.parse(whoami.stdout)).toMatchObject({ client_id: client.client_id });
      expect((await store.read(mcpUrl))?.machine?.scope).toBe('mcp:tools mcp:identity');

      // A wrong secret is the server's invalid_client, and the configured credentials stay.
      await writeFile(secretFile, 'not-the-secret\n');
      await store.update(mcpUrl, (current) => ({ ...current, tokens: undefined }));
      const refused = await cli(['call', mcpUrl, 'echo', '{"text":"x"}'], env());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/invalid_client/);
      expect((await store.read(mcpUrl))?.machine?.clientId).toBe(client.client_id);
    } finally {
      await rm(secretFile, { force: true });
      // The tests that follow log in as a person: that replaces the machine login.
    }
  });

  it('forgets the registration with logout --forget', async () => {
    await logIn();
    const logout = await cli(['logout', mcpUrl, '--forget', '--json'], env());
    expect(logout.code, logout.stderr).toBe(0);
    expect(JSON.parse(logout.stdout)).toMatchObject({
      serverUrl: mcpUrl,
      revocationEndpoint: `${issuer}/oauth/revoke`,
      refreshToken: { status: 'revoked' },
      accessToken: { status: 'revoked' },
      deleted: 'everything',
      warnings: [],
    });
    expect(await store.read(mcpUrl)).toBeUndefined();
    const status = await cli(['status'], env());
    expect(status.stdout).toMatch(/^No stored credentials/);
  });
});
