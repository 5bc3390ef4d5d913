import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../../../test/support/infra.ts';
import { databasePoolEnv, loadConfig } from './config.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { createPrisma } from './db.ts';
import { toOAuthError } from './http.ts';
import { createLogger } from './logger.ts';
import { freePort } from './ports.ts';
import { connectServices } from './service-connections.ts';

const logger = createLogger('database-test', 'silent');
const request = { method: 'POST', path: '/oauth/token' } as Request;

/** What a failing query does to a request: the error the client would get. */
async function failureOf(query: Promise<unknown>) {
  const err = await query.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return { unavailable: isDatabaseUnavailable(err), answer: toOAuthError(err, logger, request) };
}

describe('PostgreSQL pool settings', () => {
  let db: TestDatabase;
  let redis: TestRedis;
  beforeAll(async () => {
    [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  afterAll(async () => {
    await redis?.stop();
    await db?.stop();
  });

  it('cancels a statement that runs past the timeout, answers 503, and keeps the pool usable', async () => {
    const prisma = createPrisma(db.url, { max: 1, statementTimeoutMs: 300 });
    try {
      const { unavailable, answer } = await failureOf(prisma.$queryRaw`SELECT pg_sleep(3)`);
      expect(unavailable).toBe(true);
      expect(answer.status).toBe(503);
      expect(answer.error).toBe('temporarily_unavailable');
      expect(answer.headers?.['Retry-After']).toBe('1');
      // The same (only) connection answers the next statement.
      expect(await prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('applies DATABASE_STATEMENT_TIMEOUT from the environment, as the services do', async () => {
    const env = loadConfig(databasePoolEnv, { DATABASE_STATEMENT_TIMEOUT: '250', DATABASE_POOL_SIZE: '3' });
    const connections = await connectServices({
      env: { ...env, DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix },
      logger,
      whenRedisDown: 'test',
    });
    try {
      const rows = await connections.prisma.$queryRaw<
        { statement_timeout: string }[]
      >`SHOW statement_timeout`;
      expect(rows[0]?.statement_timeout).toBe('250ms');
      const { answer } = await failureOf(connections.prisma.$queryRaw`SELECT pg_sleep(2)`);
      expect(answer.status).toBe(503);
    } finally {
      await connections.close();
    }
  });

  it('answers 503 when the database cannot be reached, within the connect timeout', async () => {
    const nowhere = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`;
    const prisma = createPrisma(nowhere, { connectTimeoutMs: 500 });
    try {
      const { unavailable, answer } = await failureOf(prisma.user.findFirst());
      expect(unavailable).toBe(true);
      expect(answer.status).toBe(503);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('maps a client mistake the database refused to no 503', async () => {
    const prisma = createPrisma(db.url, { max: 1 });
    try {
      const { unavailable, answer } = await failureOf(prisma.$queryRaw`SELECT 1/0`);
      expect(unavailable).toBe(false);
      expect(answer.status).toBe(500);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('pool settings validation', () => {
  it('has defaults that bound every wait', () => {
    expect(loadConfig(databasePoolEnv, {})).toEqual({
      DATABASE_STATEMENT_TIMEOUT: 15_000,
      DATABASE_CONNECT_TIMEOUT: 5_000,
    });
    expect(loadConfig(databasePoolEnv, { DATABASE_STATEMENT_TIMEOUT: '0' }).DATABASE_STATEMENT_TIMEOUT).toBe(
      0,
    );
  });

  it.each([
    [{ DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE/],
    [{ DATABASE_POOL_SIZE: 'ten' }, /DATABASE_POOL_SIZE/],
    [{ DATABASE_STATEMENT_TIMEOUT: '-1' }, /DATABASE_STATEMENT_TIMEOUT/],
    [{ DATABASE_CONNECT_TIMEOUT: '10' }, /DATABASE_CONNECT_TIMEOUT/],
  ])('refuses %o, naming the variable', (env, name) => {
    expect(() => loadConfig(databasePoolEnv, env)).toThrow(name);
  });
});
