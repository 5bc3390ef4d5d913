import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  BASE_SCOPE,
  createLogger,
  createPrisma,
  createRedis,
  generateSigningKeyPem,
  oauthErrorHandler,
  PostgresRevocationStore,
  signingKeyFromPem,
  type PrismaClient,
  type Redis,
} from '@mcp-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startPostgres,
  startRedis,
  type TestDatabase,
  type TestRedis,
} from '../../../../test/support/infra.ts';
import { startTcpProxy, type TcpProxy } from '../../../../test/support/tcp-proxy.ts';
import { testAuthzConfig } from '../../../../test/support/authz-config.ts';
import { createAuthzContext } from '../context.ts';
import type { AuthzDeps } from '../deps.ts';
import { createUser } from '../users.ts';
import { authorizeRouter } from './router.ts';

/**
 * Two authorization server replicas sharing one Postgres and one Redis, as in compose with
 * `--scale authz=2`: the login throttle's budget is theirs together.
 */
const CLIENT_ID = 'throttle-client';
const REDIRECT_URI = 'http://127.0.0.1:9876/callback';
const PASSWORD = 'correct horse battery';

let db: TestDatabase;
let redisInfo: TestRedis;
let proxy: TcpProxy;
let prisma: PrismaClient;
const servers: Server[] = [];
const redisClients: Redis[] = [];
/** The replicas' base URLs; the first is the issuer. */
let replicas: string[];

async function listening(): Promise<{ server: Server; base: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  [db, redisInfo] = await Promise.all([startPostgres(), startRedis()]);
  prisma = createPrisma(db.url, { max: 4 });
  const target = new URL(redisInfo.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const listeners = [await listening(), await listening()];
  replicas = listeners.map((l) => l.base);
  const config = testAuthzConfig(replicas[0]!, `${replicas[0]}/mcp`);
  const signingKey = signingKeyFromPem(generateSigningKeyPem('ES256'), 'ES256');
  const logger = createLogger('throttle-test', 'silent');
  for (const { server } of listeners) {
    // Each replica its own connection, through the proxy the outage test cuts. The command timeout
    // is longer than production's 1 s: this machine stalls longer under load, and a count sent to
    // the in-process fallback on a timeout would spoil the exact figures checked here.
    const redis = createRedis(proxy.url('redis'), { commandTimeoutMs: 10_000 });
    redis.on('error', () => undefined);
    await redis.connect();
    redisClients.push(redis);
    const deps: AuthzDeps = {
      config,
      prisma,
      signingKey,
      logger,
      revocation: new PostgresRevocationStore(prisma),
      rateLimits: { redis, keyPrefix: redisInfo.keyPrefix },
    };
    const app = express();
    app.use(authorizeRouter(createAuthzContext(deps)));
    app.use(oauthErrorHandler(logger));
    server.on('request', app);
  }
  await prisma.oAuthClient.create({
    data: {
      id: CLIENT_ID,
      tokenEndpointAuthMethod: 'none',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      metadata: {},
    },
  });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  for (const r of redisClients) r.disconnect();
  await proxy?.close();
  await prisma?.$disconnect();
  await redisInfo?.stop();
  await db?.stop();
});

interface Flow {
  requestId: string;
  cookie: string;
  csrf: string;
}

/** /oauth/authorize and the login page, on the first replica. */
async function startFlow(): Promise<Flow> {
  const url = new URL('/oauth/authorize', replicas[0]);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
    code_challenge_method: 'S256',
    scope: BASE_SCOPE,
    resource: `${replicas[0]}/mcp`,
  }).toString();
  const start = await fetch(url, { redirect: 'manual' });
  expect(start.status).toBe(303);
  const login = new URL(start.headers.get('location')!);
  const cookie = start.headers
    .getSetCookie()
    .find((c) => c.startsWith('mcp_auth_flow='))!
    .split(';')[0]!;
  const page = await (await fetch(login, { headers: { cookie } })).text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;
  return { requestId: login.searchParams.get('request')!, cookie, csrf };
}

/** A login form post to replica `replica`; the answer's status. */
async function logIn(flow: Flow, replica: number, username: string, password: string): Promise<number> {
  const res = await fetch(new URL('/oauth/login', replicas[replica]), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: flow.cookie },
    body: new URLSearchParams({ request: flow.requestId, csrf_token: flow.csrf, username, password }),
  });
  await res.arrayBuffer();
  return res.status;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

// Every login runs scrypt (128 MiB, a few hundred ms of CPU each): slow on a loaded machine.
const SLOW = 120_000;

describe('login throttle shared by replicas through Redis', () => {
  it(
    'two replicas share one budget: failures on either count against both',
    async () => {
      await createUser(prisma, 'fay', PASSWORD);
      const flow = await startFlow();
      for (let i = 0; i < 5; i++) expect(await logIn(flow, i % 2, 'fay', `guess ${i}`)).toBe(401);
      // Even the right password waits now, on either replica.
      expect(await logIn(flow, 0, 'fay', PASSWORD)).toBe(429);
      expect(await logIn(flow, 1, 'fay', PASSWORD)).toBe(429);
    },
    SLOW,
  );

  it(
    '10 simultaneous correct logins of one user, on both replicas, all succeed',
    async () => {
      await createUser(prisma, 'gus', PASSWORD);
      const flows = await Promise.all(Array.from({ length: 10 }, () => startFlow()));
      const statuses = await Promise.all(flows.map((flow, i) => logIn(flow, i % 2, 'gus', PASSWORD)));
      expect(statuses).toEqual(Array(10).fill(303));
    },
    SLOW,
  );

  it(
    '20 simultaneous wrong guesses on both replicas are cut at the limit',
    async () => {
      await createUser(prisma, 'hal', PASSWORD);
      const flow = await startFlow();
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => logIn(flow, i % 2, 'hal', `parallel guess ${i}`)),
      );
      expect({ wrong: count(statuses, 401), throttled: count(statuses, 429) }).toEqual({
        wrong: 5,
        throttled: 15,
      });
    },
    SLOW,
  );

  it(
    'with Redis unreachable, logins still work and guessing is still limited, in each process',
    async () => {
      await createUser(prisma, 'ida', PASSWORD);
      const flow = await startFlow();
      await proxy.cut();
      try {
        expect(await logIn(flow, 0, 'ida', PASSWORD)).toBe(303);
        for (let i = 0; i < 5; i++) expect(await logIn(flow, 0, 'ida', `guess ${i}`)).toBe(401);
        expect(await logIn(flow, 0, 'ida', PASSWORD)).toBe(429);
      } finally {
        await proxy.restore();
      }
    },
    SLOW,
  );
});
