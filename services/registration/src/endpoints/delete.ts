import type { RequestHandler } from 'express';
import { deleteClients } from '@mcp-auth/core';
import type { RegistrationContext } from '../deps.ts';
import { authorizeRegistration, invalidRegistrationToken } from '../registration-token.ts';

/**
 * `DELETE /oauth/register/:client_id` (RFC 7592 §2.3: the server "SHOULD immediately invalidate all
 * existing authorization grants and currently-active tokens"). First the client is revoked in the
 * revocation set, which covers every access token it holds (whatever the grant, client credentials
 * included) until the longest of them expires; then the row goes, and the database cascades to its
 * consents, pending authorization requests, codes and refresh tokens (core's deleteClients). If the
 * revocation cannot be recorded, nothing is deleted and the answer is 503, so a retry does both.
 */
export function deleteRegistration({
  prisma,
  logger,
  revocation,
  config,
  audit,
}: RegistrationContext): RequestHandler {
  return async (req, res) => {
    const { client } = await authorizeRegistration(prisma, req);
    // Conditional on the token hash, so a concurrent update or delete cannot be overtaken.
    const count = await deleteClients({ prisma, revocation, logger }, [client.id], {
      accessTokenTtl: config.accessTokenTtl,
      where: { registrationAccessTokenHash: client.registrationAccessTokenHash },
    });
    if (count === 0) throw invalidRegistrationToken();
    logger.info({ client_id: client.id }, 'client deleted');
    audit.record({
      type: 'client.deleted',
      outcome: 'success',
      actor: `client:${client.id}`,
      address: req.ip,
      clientId: client.id,
      detail: { via: 'rfc7592' },
    });
    res.status(204).end();
  };
}
