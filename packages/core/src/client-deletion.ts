import type { Prisma, PrismaClient } from './db.ts';
import { temporarilyUnavailable } from './errors.ts';
import type { Logger } from './logger.ts';
import { clientRevocation, type RevocationStore } from './revocation.ts';

export interface DeleteClientsOptions {
  /** How long an access token lives: how long the clients' revocation must last. */
  accessTokenTtl: number;
  /**
   * Repeated in the delete, so that a client that changed in between stays: an RFC 7592 delete
   * names the registration token it checked, housekeeping the "unused" condition.
   */
  where?: Prisma.OAuthClientWhereInput;
  now?: Date;
}

/**
 * Removes clients the way RFC 7592 §2.3 asks ("immediately invalidate all existing authorization
 * grants and currently-active tokens"), for every caller that removes clients: the registration
 * endpoint, housekeeping of unused clients and the operator. First each client is revoked in the
 * revocation set, which covers every access token it holds (whatever the grant) until the longest
 * of them expires; then the rows go and the database cascades to their consents, pending requests,
 * codes and refresh tokens. If the revocation cannot be recorded nothing is deleted and the error
 * is 503 `temporarily_unavailable`, so a retry does both. Returns how many rows were deleted.
 */
export async function deleteClients(
  deps: { prisma: PrismaClient; revocation: RevocationStore; logger: Logger },
  ids: readonly string[],
  options: DeleteClientsOptions,
): Promise<number> {
  if (ids.length === 0) return 0;
  const now = options.now ?? new Date();
  try {
    await deps.revocation.revoke(ids.map((id) => clientRevocation(id, options.accessTokenTtl, now)));
  } catch (err) {
    deps.logger.warn({ err, clientIds: ids }, 'clients not deleted: their tokens could not be revoked');
    throw temporarilyUnavailable('the client could not be deleted now; retry');
  }
  const { count } = await deps.prisma.oAuthClient.deleteMany({
    where: { id: { in: [...ids] }, ...options.where },
  });
  return count;
}
