import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@mcp-auth/core';
import { binariesIn, packagedBinaries, type PostgresBinaries } from './binaries.ts';
import { reachableBinaries } from './placement.ts';
import { postgresRunAs } from './system-user.ts';

const run = promisify(execFile);
const logger = createLogger('placement-test', 'silent');

/**
 * As root, the PostgreSQL programs of a checkout under a private parent are out of the postgres
 * user's reach (initdb failed with `spawn … EACCES`); they are copied to a home it can reach.
 */
describe('PostgreSQL programs the postgres system user can run', () => {
  let scratch: string;
  let unreachable: PostgresBinaries;
  let home: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mcp-auth-placement-'));
    await chmod(scratch, 0o755);
    // A "checkout" under a 0700 parent, holding a copy of the packaged programs.
    const packaged = await packagedBinaries();
    const privateParent = join(scratch, 'private');
    await cp(packaged.root, join(privateParent, 'native'), { recursive: true, verbatimSymlinks: true });
    await chmod(privateParent, 0o700);
    unreachable = binariesIn(join(privateParent, 'native'), packaged.version);
    home = join(scratch, 'home');
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('copies them, once, to a root-owned home and runs them from there', async () => {
    const user = await postgresRunAs(logger);
    if (!user) {
      // Not root: PostgreSQL runs as us, and our own programs are always within reach.
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    await expect(
      run(unreachable.postgres, ['--version'], { uid: user.uid, gid: user.gid, cwd: '/' }),
    ).rejects.toThrow(/EACCES/);
    const reachable = await reachableBinaries(unreachable, user, home, logger);
    expect(reachable.root).toBe(join(home, `postgres-${unreachable.version}`));
    const { stdout } = await run(reachable.postgres, ['--version'], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
    });
    expect(stdout).toMatch(/postgres \(PostgreSQL\) \d+/);
    const home_ = await stat(home);
    expect([home_.uid, home_.mode & 0o022]).toEqual([0, 0]);

    // A second start reuses the copy.
    const copiedAt = (await stat(reachable.postgres)).mtimeMs;
    const again = await reachableBinaries(unreachable, user, home, logger);
    expect(again.root).toBe(reachable.root);
    expect((await stat(again.postgres)).mtimeMs).toBe(copiedAt);
  });
});
