import type { Logger, OAuthClient, PrismaClient } from '@mcp-auth/core';

/** Coarse on purpose: retention is counted in days, and the token endpoint is a hot path. */
export const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;

/**
 * Records that a token was issued to the client, for housekeeping's retention of unused clients.
 * The client row was just read to authenticate it, so deciding costs nothing, and the write happens
 * at most once an hour per client; it is conditional, so concurrent token requests write once.
 * A failure is logged, never the token request's failure: the tokens are already issued.
 */
export async function markClientUsed(
  deps: { prisma: PrismaClient; logger: Logger },
  client: Pick<OAuthClient, 'id' | 'lastUsedAt'>,
  now = new Date(),
): Promise<void> {
  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (client.lastUsedAt && client.lastUsedAt > stale) return;
  try {
    await deps.prisma.oAuthClient.updateMany({
      where: { id: client.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: stale } }] },
      data: { lastUsedAt: now },
    });
  } catch (err) {
    deps.logger.warn({ err, clientId: client.id }, 'could not record the client as used');
  }
}
