import { readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DependencyError, type Logger } from '@mcp-auth/core';
import type { DataDirLock } from './data-dir-lock.ts';
import { commandLine, isAlive, parentPid, waitUntilGone } from './proc.ts';

/**
 * After an mcp-auth died without stopping its embedded PostgreSQL, that server may still run on
 * the data directory (its supervisor stops it within moments, but a restart can come sooner, and a
 * server started by an older mcp-auth had no supervisor). PostgreSQL would then refuse to start
 * on the directory, so the orphan is stopped here with a fast shutdown, which keeps every
 * committed transaction.
 *
 * Only a server proven to be ours is touched: the pid in postmaster.pid must be a `postgres`
 * whose command line names this very data directory, and its owner must be gone (the lock was
 * stale, or, for a server from before the lock existed, init has adopted it).
 */
export async function stopOrphanedPostgres(
  databaseDir: string,
  lock: DataDirLock,
  logger: Logger,
): Promise<void> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  const firstLine = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0] ?? '';
  const pid = Number(firstLine);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isAlive(pid))) return; // PostgreSQL handles a stale file itself.

  const argv = await commandLine(pid);
  if (!argv) {
    throw new DependencyError(
      `${pidFile} names pid ${pid}, which cannot be inspected here; if no PostgreSQL runs on ${databaseDir}, delete that file`,
    );
  }
  if (!runsOn(argv, databaseDir)) {
    if (lock.deadOwner) {
      // The number was reused by an unrelated process; PostgreSQL would refuse to start while
      // the file names a live pid, and no server of ours is running, so the file is stale.
      logger.warn(
        { pid, pidFile },
        'removing a stale postmaster.pid whose pid now belongs to another process',
      );
      await unlink(pidFile);
      return;
    }
    throw new DependencyError(
      `${pidFile} names pid ${pid}, which is not a PostgreSQL on this data directory; if no PostgreSQL runs on ${databaseDir}, delete that file`,
    );
  }
  if (!lock.deadOwner && (await parentPid(pid)) !== 1) {
    throw new DependencyError(
      `a PostgreSQL (pid ${pid}) is running on ${databaseDir} and no mcp-auth holds the data directory's lock; ` +
        `stop it (kill -INT ${pid}) and start again`,
    );
  }

  const owner = lock.deadOwner?.pid ? `mcp-auth pid ${lock.deadOwner.pid}` : 'an mcp-auth';
  logger.warn({ pid, databaseDir }, `stopping the embedded PostgreSQL left running by ${owner}, which died`);
  if (await signalAndWait(pid, 'SIGINT', 30_000)) return;
  // Still there after a fast shutdown's grace: an immediate shutdown, which crash recovery (WAL
  // replay) undoes at the next start without losing committed data.
  if (await signalAndWait(pid, 'SIGQUIT', 10_000)) return;
  throw new DependencyError(
    `the embedded PostgreSQL (pid ${pid}) left running on ${databaseDir} does not stop; kill it and start again`,
  );
}

function runsOn(argv: string[], databaseDir: string): boolean {
  const [program] = argv;
  const dataArg = argv.indexOf('-D');
  return (
    !!program &&
    /(^|\/)postgres$/.test(program) &&
    dataArg >= 0 &&
    !!argv[dataArg + 1] &&
    resolve(argv[dataArg + 1]!) === resolve(databaseDir)
  );
}

async function signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return !(await isAlive(pid));
  }
  return waitUntilGone(pid, timeoutMs);
}
