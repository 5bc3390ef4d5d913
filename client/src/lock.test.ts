import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './errors.ts';
import { withFileLock } from './lock.ts';

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
});
