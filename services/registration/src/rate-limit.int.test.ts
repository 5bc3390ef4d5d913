import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createPrisma,
  createRedis,
  loadPolicy,
  PostgresRevocationStore,
  type PrismaClient,
  type Redis,
} from '@mcp-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../../../test/support/infra.ts';
import { createApp } from './app.ts';

/** Two registration replicas sharing one Postgres and one Redis, with a small limit. */
const LIMIT = 3;

let db: TestDatabase;
let redisInfo: TestRedis;
let prisma: PrismaClient;
const redisClients: Redis[] = [];
const servers: Server[] = [];
let ports: number[];

beforeAll(async () => {
  [db, redisInfo] = await Promise.all([startPostgres(), startRedis()]);
  prisma = createPrisma(db.url, { max: 4 });
  ports = [];
  for (let i = 0; i < 2; i++) {
    const redis = createRedis(redisInfo.url, { commandTimeoutMs: 10_000 });
    await redis.connect();
    redisClients.push(redis);
    const server = createApp({
      config: {
        issuer: 'https://auth.example.test',
        accessTokenTtl: 900,
        registrationsPerMinute: LIMIT,
        policy: loadPolicy({ PUBLIC_URL: 'https://auth.example.test' }),
      },
      prisma,
      revocation: new PostgresRevocationStore(prisma),
      logger: createLogger('registration-limit-test', 'silent'),
      rateLimits: { redis, keyPrefix: redisInfo.keyPrefix },
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    servers.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
});

afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const r of redisClients) r.disconnect();
  await prisma?.$disconnect();
  await redisInfo?.stop();
  await db?.stop();
});

/** POST /oauth/register to replica `replica`, from the loopback address `from`. */
function register(replica: number, from: string) {
  const body = JSON.stringify({
    redirect_uris: ['http://127.0.0.1:43117/callback'],
    token_endpoint_auth_method: 'none',
  });
  return new Promise<{ status: number; retryAfter?: string; body: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: ports[replica],
          localAddress: from,
          method: 'POST',
          path: '/oauth/register',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'],
              body: JSON.parse(text) as Record<string, unknown>,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('registration limit shared by replicas through Redis', () => {
  it('counts registrations from one address on every replica, and answers 429 beyond the limit', async () => {
    const statuses = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await register(i % 2, '127.0.0.1')).status);
    expect(statuses).toEqual(Array(LIMIT).fill(201));
    for (const replica of [0, 1]) {
      const refused = await register(replica, '127.0.0.1');
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('temporarily_unavailable');
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    }
    // Nothing was stored for the refused ones.
    expect(await prisma.oAuthClient.count()).toBe(LIMIT);
  });

  it('keeps each address its own budget', async () => {
    expect((await register(1, '127.0.0.2')).status).toBe(201);
  });
});
