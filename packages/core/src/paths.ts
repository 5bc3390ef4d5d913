import { fileURLToPath } from 'node:url';

/** The repository's prisma/migrations folder (also where the Docker image keeps it). */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
