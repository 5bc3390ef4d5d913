import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DependencyError, type Logger } from '@mcp-auth/core';
import { binariesIn, type PostgresBinaries } from './binaries.ts';
import { oneLine, userCan, type SystemUser } from './system-user.ts';

/**
 * As root, PostgreSQL runs as the postgres system user, which must reach its programs and its
 * data directory through every parent directory. A checkout under a private parent (/root/...,
 * usual in containers) is out of its reach; then the programs are copied (once per version) and
 * the data kept under a home of ours that it can reach, `/var/lib/mcp-auth` by default, and the
 * log says so. Nothing else about the checkout's permissions is changed.
 */
export const DEFAULT_SHARED_HOME = '/var/lib/mcp-auth';

export async function reachableBinaries(
  binaries: PostgresBinaries,
  user: SystemUser,
  home: string,
  logger: Logger,
): Promise<PostgresBinaries> {
  if (await userCan(user, 'x', binaries.postgres)) return binaries;
  const copy = binariesIn(join(home, `postgres-${binaries.version}`), binaries.version);
  if (!existsSync(copy.postgres)) {
    await prepareHome(home);
    logger.info(
      { from: binaries.root, to: copy.root },
      `the ${user.name} system user cannot reach the PostgreSQL programs in this checkout (a parent directory is private); copying them to ${copy.root}`,
    );
    // Copied under a temporary name and renamed, so a half-done copy is never taken for a whole one.
    const partial = `${copy.root}.partial-${process.pid}`;
    try {
      await rm(partial, { recursive: true, force: true });
      await cp(binaries.root, partial, { recursive: true, verbatimSymlinks: true });
      await chmod(partial, 0o755);
      await rename(partial, copy.root).catch(async (err: NodeJS.ErrnoException) => {
        // Another mcp-auth copied them at the same moment: keep its copy.
        if (!existsSync(copy.postgres)) throw err;
        await rm(partial, { recursive: true, force: true });
      });
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      throw new DependencyError(`cannot copy the PostgreSQL programs to ${copy.root}: ${oneLine(err)}`);
    }
  }
  await assertOnlyRootWrites(copy.root);
  if (!(await userCan(user, 'x', copy.postgres))) {
    throw new DependencyError(
      `the ${user.name} system user cannot run ${copy.postgres} either; set DATABASE_URL`,
    );
  }
  return copy;
}

/**
 * Where the cluster's files live: DATA_DIR/postgres when the postgres user can reach DATA_DIR,
 * else a directory of its own under the shared home (recorded by the caller, so later starts find
 * it). `recorded` is where an earlier start put it.
 */
export async function reachableDatabaseDir(
  dataDir: string,
  recorded: string | undefined,
  user: SystemUser | undefined,
  home: string,
  logger: Logger,
): Promise<string> {
  const inside = join(dataDir, 'postgres');
  if (recorded && recorded !== inside) {
    logger.info(
      { databaseDir: recorded },
      `the embedded database lives in ${recorded} (see ${dataDir}/postgres.json)`,
    );
    return recorded;
  }
  if (!user || (await userCan(user, 'x', dataDir))) return inside;
  await prepareHome(home);
  const elsewhere = join(home, `data-${randomBytes(6).toString('hex')}`);
  logger.warn(
    { databaseDir: elsewhere },
    `the ${user.name} system user cannot reach ${dataDir} (a parent directory is private); ` +
      `the embedded database will live in ${elsewhere} (recorded in ${dataDir}/postgres.json)`,
  );
  return elsewhere;
}

/** The shared home: root's, readable and traversable by all, writable by root alone. */
async function prepareHome(home: string): Promise<void> {
  try {
    await mkdir(home, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new DependencyError(
      `the postgres system user cannot reach this checkout, and ${home} cannot be created (${oneLine(err)}); ` +
        `run mcp-auth from a directory every user can traverse, or set DATABASE_URL`,
    );
  }
  await assertOnlyRootWrites(home);
}

// Programs run from there and data kept there must not be replaceable by anyone but root.
async function assertOnlyRootWrites(path: string): Promise<void> {
  const s = await stat(path);
  if (s.uid !== 0 || (s.mode & 0o022) !== 0) {
    throw new DependencyError(
      `${path} must belong to root and be writable by root alone; fix it or remove it`,
    );
  }
}
