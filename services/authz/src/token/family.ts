import type { Prisma } from '@mcp-auth/core';

type Tx = Prisma.TransactionClient;

/**
 * Serialises everything that issues into, rotates within or revokes a grant family (the
 * token's `sid`). Without it a rotation could insert a successor that a concurrent family
 * revocation, which cannot see uncommitted rows, would miss. Held until the transaction ends.
 */
export async function lockFamily(tx: Tx, familyId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${familyId}))`;
}

/** Revokes every live refresh token of the family; call inside a transaction. */
export async function revokeFamily(tx: Tx, familyId: string, now: Date): Promise<number> {
  await lockFamily(tx, familyId);
  const { count } = await tx.refreshToken.updateMany({
    where: { familyId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}
