import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { runMigrations, defaultMigrationsDir } from '@mcp-auth/core';

/**
 * Real Postgres and Redis for integration and end-to-end suites, on the servers the run's global
 * setup chose once (infra-setup.ts: TEST_DATABASE_URL / TEST_REDIS_URL, else testcontainers, else
 * an embedded PostgreSQL and the system's redis-server). Each call gets its own database or key
 * prefix, removed by stop(), so files running side by side never see each other's data.
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

function servers() {
  const provided = inject('testServers');
  if (!provided) {
    throw new Error(
      'no test servers: run this file through the integration or e2e project (vitest.config.ts)',
    );
  }
  return provided;
}

/** A fresh, migrated database. */
export async function startPostgres(): Promise<TestDatabase> {
  const server = servers().postgresUrl;
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

/** A Redis server and a key prefix private to this run. */
export async function startRedis(): Promise<TestRedis> {
  const keyPrefix = `mcpauth_test:${suffix()}:`;
  const server = servers().redisUrl;
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
