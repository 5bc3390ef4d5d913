import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, LOCK_FILE } from './data-dir-lock.ts';

describe('the data directory lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names its owner, refuses a second owner while the first lives, and is gone once released', async () => {
    const lock = await acquireDataDirLock(dir);
    expect(lock.deadOwner).toBeUndefined();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`in use by another mcp-auth (pid ${process.pid})`);
    await lock.release();
    const next = await acquireDataDirLock(dir);
    expect(next.deadOwner).toBeUndefined();
    await next.release();
  });

  it('takes over from an owner that died, and says which', async () => {
    // The pid of a process that has exited.
    const dead = spawnSync('true').pid;
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname() }));
    const lock = await acquireDataDirLock(dir);
    expect(lock.deadOwner).toEqual({ pid: dead });
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('does not mistake a process that reused the owner pid for the owner', async () => {
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid, startTime: '1', host: hostname() }),
    );
    const lock = await acquireDataDirLock(dir);
    expect(lock.deadOwner).toEqual({ pid: process.pid });
    await lock.release();
  });

  it('takes over a lock file cut short by a crash', async () => {
    await writeFile(join(dir, LOCK_FILE), '{"pid": 12');
    const lock = await acquireDataDirLock(dir);
    expect(lock.deadOwner).toEqual({ pid: undefined });
    await lock.release();
  });
});
