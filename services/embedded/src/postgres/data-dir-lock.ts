import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { DependencyError } from '@mcp-auth/core';
import { isAlive, startTime } from './proc.ts';

/**
 * One mcp-auth per data directory. The lock file names the owning Node process (pid, its start
 * time so a reused pid is not mistaken for it, and the host). A lock whose owner is gone (killed,
 * OOM) is taken over, and the caller learns that it may have to clean up after that owner; a lock
 * whose owner is alive makes the start fail with one line naming it.
 */
export const LOCK_FILE = 'mcp-auth.lock';

const Owner = z.object({
  pid: z.number().int().positive(),
  startTime: z.string().optional(),
  host: z.string(),
});
type Owner = z.infer<typeof Owner>;

export interface DataDirLock {
  /**
   * Set when the owner before us died holding the lock (its pid, when the file still named it):
   * whatever it started may still be running, and is ours to stop.
   */
  deadOwner?: { pid?: number };
  release(): Promise<void>;
}

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, startTime: await startTime(process.pid), host: hostname() };
  const mine = JSON.stringify(me);
  const release = async () => {
    if ((await readFile(file, 'utf8').catch(() => '')) === mine) await unlink(file).catch(() => undefined);
  };

  if (await create(file, mine)) return { release };
  const held = await readFile(file, 'utf8').catch(() => '');
  const owner = parseOwner(held);
  if (owner && (await ownerAlive(owner))) {
    throw new DependencyError(
      `${dataDir} is in use by another mcp-auth (pid ${owner.pid}${owner.host === me.host ? '' : ` on ${owner.host}`}); ` +
        `stop it first, or give this one another DATA_DIR`,
    );
  }
  // Take over the stale lock: move it aside first, so that of two starters racing for it only one
  // gets it, and check that what was moved is what was judged stale.
  const aside = `${file}.stale-${process.pid}`;
  const moved = await rename(file, aside).then(
    () => true,
    () => false,
  );
  const movedContent = moved ? await readFile(aside, 'utf8').catch(() => '') : '';
  if (moved) await unlink(aside).catch(() => undefined);
  if (!moved || movedContent !== held || !(await create(file, mine))) {
    throw new DependencyError(`another mcp-auth is starting on ${dataDir} at the same moment; try again`);
  }
  return { deadOwner: { pid: owner?.pid }, release };
}

async function create(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DependencyError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

function parseOwner(text: string): Owner | undefined {
  try {
    return Owner.parse(JSON.parse(text));
  } catch {
    // Unreadable (cut short by a crash while it was written): nobody can be shown to hold it.
    return undefined;
  }
}

async function ownerAlive(owner: Owner): Promise<boolean> {
  // A process on another host (a shared volume) cannot be checked from here: assume it lives.
  if (owner.host !== hostname()) return true;
  if (!(await isAlive(owner.pid))) return false;
  const now = await startTime(owner.pid);
  // The same pid started at another time is another process that reused the number.
  return !(owner.startTime && now && now !== owner.startTime);
}
