import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DependencyError, type Logger } from '@mcp-auth/core';

const run = promisify(execFile);

/** The account PostgreSQL runs as when we are root. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user (created
 * when missing, as a system account without a login shell). Otherwise it runs as we do:
 * undefined.
 */
export async function postgresRunAs(logger: Logger): Promise<SystemUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookUp();
  if (existing) return existing;
  logger.info(`creating the system user ${NAME} to run the embedded PostgreSQL (it refuses to run as root)`);
  try {
    await run('groupadd', ['--system', NAME]).catch((err: { code?: unknown }) => {
      if (err.code !== 9) throw err; // 9: the group exists already.
    });
    await run('useradd', [
      '--system',
      '--gid',
      NAME,
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/bin/false',
      NAME,
    ]);
  } catch (err) {
    throw new DependencyError(
      `the embedded PostgreSQL cannot run as root and the system user ${NAME} could not be created ` +
        `(${oneLine(err)}); create it (useradd --system ${NAME}) or set DATABASE_URL`,
    );
  }
  const created = await lookUp();
  if (!created) throw new DependencyError(`the system user ${NAME} was created but cannot be found`);
  return created;
}

async function lookUp(): Promise<SystemUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
    return { name: NAME, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `user` can reach `path` and pass `test -<flag>` on it (x: run a program, or enter a
 * directory; w: write). Asked of the kernel by running `test` as that user, so every parent
 * directory's permission, ACL and mount option counts, as it will for PostgreSQL.
 */
export async function userCan(user: SystemUser, flag: 'x' | 'w', path: string): Promise<boolean> {
  try {
    await run('/bin/sh', ['-c', `test -${flag} "$1"`, 'sh', path], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
    });
    return true;
  } catch {
    return false;
  }
}

export const oneLine = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim()) ?? 'unknown error';
