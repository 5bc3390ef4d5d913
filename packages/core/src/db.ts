import { setFlagsFromString } from 'node:v8';
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client.ts';

// Prisma's namespace is needed as a value for its null markers (Prisma.DbNull on Json columns).
export { Prisma, PrismaClient };
export type * from './generated/prisma/client.ts';

// Prisma 7 compiles queries in a WebAssembly module (about 3 MB). V8's default tier-up recompiles
// its hot functions with TurboFan on background threads, which left 50-60 MB of code and compiler
// arenas resident in every process that uses Prisma; the baseline compiler (Liftoff) alone keeps
// the idle all-in-one process below 150 MB RSS (issue 10, measured in README "Footprint"). The
// flag is read when a module is compiled, and Prisma compiles its module at the first query, after
// this line has run. Query planning is a small part of a request next to its database round trip.
setFlagsFromString('--liftoff-only');

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
