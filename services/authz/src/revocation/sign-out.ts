import type { PrismaClient, RevocationStore } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import { endSessions } from '../session/sessions.ts';
import { revokeFamily } from '../token/family.ts';
import { inTransaction } from '../token/transaction.ts';
import { familyEntry } from './entries.ts';

/**
 * Ends every grant a user holds: after a password change (the usual answer to a stolen password)
 * the old sessions must not live on through their refresh tokens. Each family's refresh tokens are
 * revoked in Postgres, then the families' `sid`s go to the revocation set, which covers the access
 * tokens already issued. Returns how many grants were ended.
 */
export async function signOutEverywhere(
  deps: { prisma: PrismaClient; revocation: RevocationStore; config: Pick<AuthzConfig, 'accessTokenTtl'> },
  userId: string,
): Promise<number> {
  await endSessions(deps.prisma, userId); // first, so no new grant starts from a remembered sign-in
  const [fromTokens, fromCodes] = await Promise.all([
    deps.prisma.refreshToken.findMany({
      where: { userId },
      select: { familyId: true },
      distinct: ['familyId'],
    }),
    // Grants of clients without refresh tokens are known only by their (recent) codes.
    deps.prisma.authorizationCode.findMany({
      where: { userId },
      select: { familyId: true },
      distinct: ['familyId'],
    }),
  ]);
  const families = [...new Set([...fromTokens, ...fromCodes].map((r) => r.familyId))];
  const now = new Date();
  for (const familyId of families) await inTransaction(deps.prisma, (tx) => revokeFamily(tx, familyId, now));
  await deps.revocation.revoke(families.map((f) => familyEntry(f, deps.config, now.getTime())));
  return families.length;
}
