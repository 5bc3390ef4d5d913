import type { RequestHandler } from 'express';
import { noStore } from '@mcp-auth/core';
import { clientInformation } from '../client-record.ts';
import type { RegistrationDeps } from '../deps.ts';
import { authorizeRegistration } from '../registration-token.ts';

/**
 * `GET /oauth/register/:client_id` (RFC 7592 §2.1). The secret is not returned: only its hash
 * is kept. The registration access token is the one presented (it is not rotated on read).
 */
export function readRegistration({ config, prisma }: RegistrationDeps): RequestHandler {
  return async (req, res) => {
    const { client, registrationAccessToken } = await authorizeRegistration(prisma, req);
    noStore(res);
    res.json(clientInformation(client, config.issuer, { registrationAccessToken }));
  };
}
