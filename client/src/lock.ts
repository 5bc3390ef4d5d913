import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './errors.ts';

const isCode = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException)?.code === code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LockOptions {
  /** A lock file older than this is left over from a process that died, and is taken over. */
  staleMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
}

/**
 * Runs `fn` while holding a lock file (created with O_EXCL, so exactly one process wins), for work that
 * must not run in two mcp-auth processes at once. Refresh tokens rotate on every use and a second use of
 * a rotated one revokes the whole grant, so two commands started together must not both refresh.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
      break;
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > staleMs) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new CliError(`another mcp-auth process holds ${path}; delete it if no mcp-auth is running`);
    }
    await sleep(25 + Math.random() * 50);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
