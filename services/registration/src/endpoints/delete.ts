import type { RequestHandler } from 'express';
import type { RegistrationDeps } from '../deps.ts';
import { authorizeRegistration, invalidRegistrationToken } from '../registration-token.ts';

/**
 * `DELETE /oauth/register/:client_id` (RFC 7592 §2.3). The database cascades to the client's
 * consents, pending authorization requests, codes and refresh tokens, so nothing it was granted
 * can be refreshed; access tokens already issued live out their (short) lifetime.
 */
export function deleteRegistration({ prisma, logger }: RegistrationDeps): RequestHandler {
  return async (req, res) => {
    const { client } = await authorizeRegistration(prisma, req);
    // Conditional on the token hash, so a concurrent update or delete cannot be overtaken.
    const { count } = await prisma.oAuthClient.deleteMany({
      where: { id: client.id, registrationAccessTokenHash: client.registrationAccessTokenHash },
    });
    if (count === 0) throw invalidRegistrationToken();
    logger.info({ client_id: client.id }, 'client deleted');
    res.status(204).end();
  };
}
