import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createRedis, defaultMigrationsDir, redactUrl, runMigrations } from '@mcp-auth/core';

const suffix = () => `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

/** A database of its own for this run, migrated, on the given server; drop() removes it. */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mcpauth_bench_${suffix()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`Postgres at ${redactUrl(serverUrl)} (BENCH_DATABASE_URL): ${(err as Error).message}`, {
      cause: err,
    });
  }
  await admin.query(`CREATE DATABASE "${name}"`).finally(() => admin.end());
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.href, defaultMigrationsDir);
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
    },
  };
}

/** A key prefix no other run uses; clean() deletes every key under it. */
export function scratchKeyPrefix(redisUrl: string): { keyPrefix: string; clean(): Promise<void> } {
  const keyPrefix = `mcpauth_bench:${suffix()}:`;
  return {
    keyPrefix,
    async clean() {
      const redis = createRedis(redisUrl);
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          if (keys.length) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
