import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

// Prisma's namespace is needed as a value for its null markers (Prisma.DbNull on Json columns).
export { Prisma, PrismaClient };
export type * from './generated/prisma/client.ts';

/** Prisma over node-postgres: no native query engine, so images need no Prisma binaries. */
export function createPrisma(databaseUrl: string, options: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.max ?? 10 });
  return new PrismaClient({ adapter });
}
