import { randomBytes } from 'node:crypto';
import { chown, mkdir, unlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { DependencyError, startOwnedProcess, type Logger, type OwnedProcess } from '@mcp-auth/core';
import type { PostgresBinaries } from './binaries.ts';
import { oneLine, type SystemUser } from './system-user.ts';

const run = promisify(execFile);

/** One PostgreSQL cluster (a data directory and the server on it), listening on loopback only. */
export interface ClusterOptions {
  databaseDir: string;
  port: number;
  /** The `postgres` superuser's password (SCRAM). */
  password: string;
  binaries: PostgresBinaries;
  /** Run as this user (when we are root); else as ourselves. */
  runAs?: SystemUser;
  /** Extra server settings (`-c name=value`), e.g. fsync=off for throw-away test clusters. */
  settings?: Record<string, string>;
  logger: Logger;
}

export interface RunningCluster {
  /** The postmaster's pid. */
  pid: number;
  stop(): Promise<void>;
}

// PostgreSQL gets only what it needs from our environment: none of our secrets.
const serverEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' });
const ids = (user?: SystemUser) => (user ? { uid: user.uid, gid: user.gid } : {});

export async function initialiseCluster(o: ClusterOptions): Promise<void> {
  o.logger.info({ databaseDir: o.databaseDir }, 'initialising the embedded PostgreSQL (first start)');
  await mkdir(o.databaseDir, { recursive: true, mode: 0o700 });
  if (o.runAs) await chown(o.databaseDir, o.runAs.uid, o.runAs.gid);
  // initdb reads the password from a file; it sits beside the data directory, readable by the
  // server's user alone, for as long as initdb runs.
  const pwfile = join(dirname(o.databaseDir), `.initdb-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (o.runAs) await chown(pwfile, o.runAs.uid, o.runAs.gid);
    await run(
      o.binaries.initdb,
      [
        `--pgdata=${o.databaseDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...ids(o.runAs), cwd: '/', env: serverEnv() },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new DependencyError(
      `initdb failed for the embedded PostgreSQL in ${o.databaseDir}: ${stderr?.trim() ? lastError(stderr) : oneLine(err)}`,
    );
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

export async function startCluster(o: ClusterOptions): Promise<RunningCluster> {
  const settings = {
    listen_addresses: '127.0.0.1',
    // No Unix socket: /var/run/postgresql may not exist or may belong to a system server.
    unix_socket_directories: '',
    // The readiness line below is matched in English.
    lc_messages: 'C',
    ...o.settings,
  };
  const args = ['-D', o.databaseDir, '-p', String(o.port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  let server: OwnedProcess | undefined;
  try {
    server = await startOwnedProcess(o.binaries.postgres, args, {
      // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, committed work is kept.
      stopSignal: 'INT',
      ...ids(o.runAs),
      env: serverEnv(),
      onLine: (line) => o.logger.debug({ postgres: line }),
    });
    await server.waitFor(/database system is ready to accept connections/, 60_000);
  } catch (err) {
    const output = server?.output() ?? '';
    await server?.stop(5_000);
    throw new DependencyError(
      `the embedded PostgreSQL in ${o.databaseDir} did not start: ${output ? lastError(output) : oneLine(err)}`,
    );
  }
  return {
    pid: server.pid,
    async stop() {
      await server.stop();
    },
  };
}

/** The line that says why PostgreSQL failed: its last FATAL/PANIC/ERROR, else its last line. */
function lastError(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.findLast((l) => /\b(FATAL|PANIC|ERROR|error):/.test(l)) ?? lines.at(-1) ?? 'no output';
  return error.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '');
}
