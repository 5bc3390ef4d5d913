import type { RequestHandler } from 'express';
import { clientRevocation, temporarilyUnavailable } from '@mcp-auth/core';
import type { RegistrationDeps } from '../deps.ts';
import { authorizeRegistration, invalidRegistrationToken } from '../registration-token.ts';

/**
 * `DELETE /oauth/register/:client_id` (RFC 7592 §2.3: the server "SHOULD immediately invalidate all
 * existing authorization grants and currently-active tokens"). First the client is revoked in the
 * revocation set, which covers every access token it holds (whatever the grant, client credentials
 * included) until the longest of them expires; then the row goes, and the database cascades to its
 * consents, pending authorization requests, codes and refresh tokens. If the revocation cannot be
 * recorded, nothing is deleted and the answer is 503, so a retry does both.
 */
export function deleteRegistration({ prisma, logger, revocation, config }: RegistrationDeps): RequestHandler {
  return async (req, res) => {
    const { client } = await authorizeRegistration(prisma, req);
    try {
      await revocation.revoke([clientRevocation(client.id, config.accessTokenTtl)]);
    } catch (err) {
      logger.warn({ err, client_id: client.id }, 'client not deleted: its tokens could not be revoked');
      throw temporarilyUnavailable('the client could not be deleted now; retry');
    }
    // Conditional on the token hash, so a concurrent update or delete cannot be overtaken.
    const { count } = await prisma.oAuthClient.deleteMany({
      where: { id: client.id, registrationAccessTokenHash: client.registrationAccessTokenHash },
    });
    if (count === 0) throw invalidRegistrationToken();
    logger.info({ client_id: client.id }, 'client deleted');
    res.status(204).end();
  };
}
