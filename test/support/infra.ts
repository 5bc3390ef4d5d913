import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runMigrations, defaultMigrationsDir } from '@mcp-auth/core';

/**
 * Real Postgres and Redis for integration and end-to-end suites: from TEST_DATABASE_URL /
 * TEST_REDIS_URL when set (each call gets its own database or key prefix, removed by stop()),
 * else from testcontainers. With neither, fail at once and say what to set.
 */

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}
export interface TestRedis {
  url: string;
  /** Every key this run writes starts with it, so runs never see each other's data. */
  keyPrefix: string;
  stop(): Promise<void>;
}

const suffix = () => `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

async function containerRuntimeAvailable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
}

function noInfrastructure(what: string, variable: string): Error {
  return new Error(
    `${what} for tests: ${variable} is not set and no container runtime (Docker) was found. ` +
      `Set ${variable} (e.g. ${variable === 'TEST_DATABASE_URL' ? 'postgresql://postgres@127.0.0.1:5432/postgres' : 'redis://127.0.0.1:6379'}) or start Docker.`,
  );
}

/** A fresh, migrated database. */
export async function startPostgres(): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  if (server) {
    const name = `mcpauth_test_${suffix()}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    await runMigrations(url.toString(), defaultMigrationsDir);
    return {
      url: url.toString(),
      async stop() {
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  if (!(await containerRuntimeAvailable())) throw noInfrastructure('PostgreSQL', 'TEST_DATABASE_URL');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  const url = container.getConnectionUri();
  await runMigrations(url, defaultMigrationsDir);
  return { url, stop: async () => void (await container.stop()) };
}

/** A Redis server and a key prefix private to this run. */
export async function startRedis(): Promise<TestRedis> {
  const keyPrefix = `mcpauth_test:${suffix()}:`;
  const server = process.env.TEST_REDIS_URL;
  if (server) {
    return {
      url: server,
      keyPrefix,
      async stop() {
        const { Redis } = await import('ioredis');
        const r = new Redis(server, { lazyConnect: true, maxRetriesPerRequest: 1 });
        await r.connect();
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        r.disconnect();
      },
    };
  }
  if (!(await containerRuntimeAvailable())) throw noInfrastructure('Redis', 'TEST_REDIS_URL');
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  return { url: container.getConnectionUrl(), keyPrefix, stop: async () => void (await container.stop()) };
}
