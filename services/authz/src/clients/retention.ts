import {
  deleteClients,
  type AuditLog,
  type Logger,
  type PrismaClient,
  type Prisma,
  type RevocationStore,
} from '@mcp-auth/core';

export interface ClientRetention {
  /** Seconds without a token issued after which a client is removed; 0 keeps clients forever. */
  retentionSeconds: number;
  /** How long an access token lives: how long the removed clients' revocation must last. */
  accessTokenTtl: number;
}

/** Rows removed per round, so a first run after a long stop stays a short transaction. */
const BATCH = 500;

/**
 * Clients that nobody used within the retention period: no token issued since `cutoff` (or, never
 * used, registered before it), and no live refresh token (a person may come back to a grant that
 * REFRESH_TOKEN_TTL still allows, whatever the retention says).
 */
const unusedSince = (cutoff: Date, now: Date): Prisma.OAuthClientWhereInput => ({
  OR: [{ lastUsedAt: { lt: cutoff } }, { lastUsedAt: null, createdAt: { lt: cutoff } }],
  refreshTokens: { none: { expiresAt: { gt: now }, revokedAt: null, rotatedAt: null } },
});

/**
 * Removes clients unused for the retention period, as an RFC 7592 delete would (§2.3): first every
 * token they hold is revoked, then the rows go and the database cascades to their consents, codes,
 * pending requests and refresh tokens. If the revocation cannot be recorded nothing is deleted
 * (the next round retries). The delete repeats the condition, so a client used in between stays.
 * Returns how many were removed.
 */
export async function removeUnusedClients(
  deps: { prisma: PrismaClient; revocation: RevocationStore; logger: Logger; audit?: AuditLog },
  policy: ClientRetention,
  now = new Date(),
): Promise<number> {
  if (policy.retentionSeconds === 0) return 0;
  const cutoff = new Date(now.getTime() - policy.retentionSeconds * 1000);
  const where = unusedSince(cutoff, now);
  const candidates = await deps.prisma.oAuthClient.findMany({ where, select: { id: true }, take: BATCH });
  if (candidates.length === 0) return 0;
  const ids = candidates.map((c) => c.id);
  const removed = await deleteClients(deps, ids, { accessTokenTtl: policy.accessTokenTtl, where, now });
  if (deps.audit && removed > 0) {
    // The delete re-checked the condition: a client used in between is still there, not removed.
    const kept = await deps.prisma.oAuthClient.findMany({ where: { id: { in: ids } }, select: { id: true } });
    const stayed = new Set(kept.map((c) => c.id));
    for (const id of ids.filter((i) => !stayed.has(i))) {
      deps.audit.record({
        type: 'client.deleted',
        outcome: 'success',
        actor: 'system',
        clientId: id,
        detail: { reason: 'unused', retentionSeconds: policy.retentionSeconds },
      });
    }
  }
  return removed;
}
