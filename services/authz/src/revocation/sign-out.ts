import type { PrismaClient, RevocationStore } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import { endSessions } from '../session/sessions.ts';
import { revokeFamily } from '../token/family.ts';
import { inTransaction } from '../token/transaction.ts';
import { familyEntry, signOutEntry } from './entries.ts';

export interface SignOutResult {
  /** Grants whose refresh tokens were revoked. */
  grants: number;
  /** Authorization codes issued but not yet redeemed. */
  codes: number;
  /** Remembered sign-ins (sessions) of the user's browsers. */
  sessions: number;
}

/**
 * Ends everything a user holds: after a password change (the usual answer to a stolen password)
 * or an operator's sign-out, nothing obtained before it may go on working.
 *
 * 1. Remembered sign-ins, pending authorization requests and unredeemed codes go first, so that
 *    no browser starts a new grant without the password, whoever is still on the consent page
 *    cannot approve, and a code already issued cannot be redeemed. A redemption or approval in
 *    flight holds the row: the delete waits for it and then skips what it used.
 * 2. Then every grant's refresh tokens (under the family lock that rotation takes), including
 *    those a redemption of step 1 just committed.
 * 3. Then the revocation set: a per-user "not before" entry refuses every access token issued up
 *    to now, whatever the grant, even one whose code housekeeping has since deleted; and each
 *    grant's `sid`, for an access token signed a moment after now by a redemption that committed
 *    before step 1.
 */
export async function signOutEverywhere(
  deps: { prisma: PrismaClient; revocation: RevocationStore; config: Pick<AuthzConfig, 'accessTokenTtl'> },
  userId: string,
  now = new Date(),
): Promise<SignOutResult> {
  // First, so that no new grant starts from a remembered sign-in; it ends the user's pending
  // authorization requests too.
  const sessions = await endSessions(deps.prisma, userId);
  const codes = await deps.prisma.authorizationCode.deleteMany({ where: { userId, usedAt: null } });
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
  for (const familyId of families) await inTransaction(deps.prisma, (tx) => revokeFamily(tx, familyId, now));
  await deps.revocation.revoke([
    signOutEntry(userId, deps.config, now.getTime()),
    ...families.map((f) => familyEntry(f, deps.config, now.getTime())),
  ]);
  return { grants: families.length, codes: codes.count, sessions };
}
