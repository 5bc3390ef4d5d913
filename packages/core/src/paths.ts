import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's prisma/migrations folder, found by walking up from this file, so it is the same
 * whether the code runs from source (packages/core/src) or from a bundle (dist/).
 */
function findMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), 'prisma', 'migrations');
    dir = parent;
  }
}

export const defaultMigrationsDir = findMigrationsDir();
