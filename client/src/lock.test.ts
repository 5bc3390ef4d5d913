import { mkdtemp, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './errors.ts';
import { takeOverStale, withFileLock } from './lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('runs holders one at a time', async () => {
    const path = join(dir, 'server.json.lock');
    let inside = 0;
    let most = 0;
    const holder = () =>
      withFileLock(path, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inside--;
      });
    await Promise.all([holder(), holder(), holder(), holder()]);
    expect(most).toBe(1);
  });

  it('releases the lock when the holder throws', async () => {
    const path = join(dir, 'server.json.lock');
    await expect(withFileLock(path, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withFileLock(path, async () => 'again')).resolves.toBe('again');
  });

  it('takes over a lock left behind by a process that died, and gives up on a live one', async () => {
    const path = join(dir, 'server.json.lock');
    await writeFile(path, '999999\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await expect(withFileLock(path, async () => 'taken over')).resolves.toBe('taken over');

    await writeFile(path, '999999\n');
    await expect(withFileLock(path, async () => 'never', { waitMs: 100 })).rejects.toThrow(CliError);
  });

  it('keeps the lock of a holder that works longer than the stale age', async () => {
    const path = join(dir, 'server.json.lock');
    const order: string[] = [];
    const first = withFileLock(
      path,
      async () => {
        order.push('first in');
        await new Promise((resolve) => setTimeout(resolve, 500));
        order.push('first out');
      },
      { staleMs: 100 },
    );
    while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = withFileLock(path, async () => void order.push('second'), { staleMs: 100 });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  });

  it('is re-entrant within one call chain, and only there', async () => {
    const path = join(dir, 'server.json.lock');
    const nested = await withFileLock(path, () => withFileLock(path, async () => 'nested', { waitMs: 100 }));
    expect(nested).toBe('nested');
    // Another caller (not in the holder's chain) waits like any other process.
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = withFileLock(path, async () => {
      entered();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await inside;
    await expect(withFileLock(path, async () => 'other', { waitMs: 100 })).rejects.toThrow(CliError);
    release();
    await holder;
  });

  it('does not take over a lock that changed after it was judged stale', async () => {
    const path = join(dir, 'server.json.lock');
    await writeFile(path, 'old holder\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const judged = await stat(path);

    // Its holder touched it (alive after all): put back as it is.
    const now = new Date();
    await utimes(path, now, now);
    expect(await takeOverStale(path, judged)).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('old holder\n');

    // Another waiter took it over first and holds a new one: not removed either.
    await unlink(path);
    await writeFile(path, 'new holder\n');
    expect(await takeOverStale(path, judged)).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('new holder\n');

    // Unchanged since judged: removed.
    await utimes(path, old, old);
    expect(await takeOverStale(path, await stat(path))).toBe(true);
    await expect(stat(path)).rejects.toThrow();
  });

  it('leaves a lock file that is not its own when it lets go', async () => {
    const path = join(dir, 'server.json.lock');
    await withFileLock(path, async () => {
      await unlink(path);
      await writeFile(path, 'someone else\n');
    });
    expect(await readFile(path, 'utf8')).toBe('someone else\n');
  });
});
