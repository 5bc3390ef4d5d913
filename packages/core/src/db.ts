import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

// Prisma's namespace is needed as a value for its null markers (Prisma.DbNull on Json columns).
export { Prisma, PrismaClient };
export type * from './generated/prisma/client.ts';

export interface DatabaseOptions {
  /** Connections this process may hold (DATABASE_POOL_SIZE). */
  max?: number;
  /**
   * PostgreSQL cancels a statement running longer than this (DATABASE_STATEMENT_TIMEOUT), so a
   * stuck query frees its connection and the request answers 503 instead of hanging. 0: none.
   */
  statementTimeoutMs?: number;
  /** Opening a connection gives up after this (DATABASE_CONNECT_TIMEOUT); else 503 waits forever on a dead host. */
  connectTimeoutMs?: number;
}

/** Prisma over node-postgres: no native query engine, so images need no Prisma binaries. */
export function createPrisma(databaseUrl: string, options: DatabaseOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    // Sent as a start-up parameter of every connection (PgBouncer: see the README, High availability).
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
  });
  return new PrismaClient({ adapter });
}
