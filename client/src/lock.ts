import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './errors.ts';

const isCode = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException)?.code === code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const statOrUndefined = (path: string): Promise<Stats | undefined> => stat(path).catch(() => undefined);
const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;
const sameVersion = (a: Stats, b: Stats): boolean => sameFile(a, b) && a.mtimeMs === b.mtimeMs;

export interface LockOptions {
  /** A lock file not touched for this long is left over from a process that died, and is taken over. */
  staleMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
}

// The lock files this async call chain holds: the SDK's token requests inside a refresh that already
// holds the lock go through the same locking fetch, and must not wait for themselves.
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Runs `fn` while holding a lock file (created with O_EXCL, so exactly one process wins), for work that
 * must not run in two mcp-auth processes at once. Refresh tokens rotate on every use and a second use of
 * a rotated one revokes the whole grant, so two commands started together must not both refresh.
 * Re-entrant within one call chain. The holder touches the file while it works, so that only the lock
 * of a process that died goes stale.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const holding = held.getStore();
  if (holding?.has(path)) return fn();
  const staleMs = options.staleMs ?? 30_000;
  const handle = await acquire(path, staleMs, Date.now() + (options.waitMs ?? 60_000));
  let mine: Stats | undefined;
  // Through the open handle: it touches our own file even if it was (wrongly) moved away meanwhile.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      handle.utimes(now, now).catch(() => undefined);
    },
    Math.max(10, staleMs / 4),
  );
  heartbeat.unref();
  try {
    mine = await handle.stat();
    await handle.writeFile(`${process.pid}\n`);
    return await held.run(new Set([...(holding ?? []), path]), fn);
  } finally {
    clearInterval(heartbeat);
    await handle.close().catch(() => undefined);
    // Only our own file: after a wrong takeover the file at `path` may be another holder's.
    const current = await statOrUndefined(path);
    if (current && (!mine || sameFile(current, mine))) await unlink(path).catch(() => undefined);
  }
}

async function acquire(path: string, staleMs: number, deadline: number): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      return await open(path, 'wx', 0o600);
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const current = await statOrUndefined(path);
    if (current && Date.now() - current.mtimeMs > staleMs) {
      await takeOverStale(path, current);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CliError(`another mcp-auth process holds ${path}; delete it if no mcp-auth is running`);
    }
    await sleep(25 + Math.random() * 50);
  }
}

/**
 * Removes the lock file judged stale, unless it changed since it was judged. Unlinking by name could
 * remove a fresh lock that another waiter created after taking the same stale one over, so the file is
 * first moved aside (atomic: exactly one waiter gets it) and then checked to be the one judged stale;
 * anything else is put back with link(), which, unlike rename(), never replaces a lock created meanwhile.
 * Returns true when the stale lock was removed.
 */
export async function takeOverStale(path: string, judged: Stats): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
  const moved = await stat(aside);
  if (!sameVersion(moved, judged)) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside).catch(() => undefined);
  return true;
}
