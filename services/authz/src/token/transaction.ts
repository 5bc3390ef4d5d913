import { temporarilyUnavailable, type Prisma, type PrismaClient } from '@mcp-auth/core';

/**
 * An interactive transaction. When the pool is so busy that none can start in time, Prisma
 * fails with P2028; that is an overload (503, retry), not a fault of ours or the client's.
 */
export async function inTransaction<T>(
  prisma: PrismaClient,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  try {
    return await prisma.$transaction(fn, { maxWait: 10_000, timeout: 10_000 });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'P2028') {
      throw temporarilyUnavailable('the database is busy; retry');
    }
    throw err;
  }
}
