import type { Router } from 'express';
import { OAuthError, publicCors, strictRouter } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { formEndpoint } from '../token/form.ts';
import { authenticatedTokenRequest } from './params.ts';
import { storeUnavailable } from './record.ts';
import { revokeToken } from './revoke-token.ts';

export const REVOCATION_PATH = '/oauth/revoke';

/**
 * `POST /oauth/revoke` (RFC 7009). The client authenticates as at the token endpoint; the answer
 * is 200 with an empty body whether or not anything was revoked (§2.2). When the store could not
 * record everything the answer is 503 (§2.2.1): the durable record may be written, and a retry is
 * harmless. Browser-based clients log out from their own origin, hence CORS.
 */
export function revocationRouter(deps: AuthzContext): Router {
  const router = strictRouter();
  router.use(REVOCATION_PATH, publicCors(['POST']));
  router.post(REVOCATION_PATH, ...formEndpoint(), async (req, res) => {
    const { client, token } = await authenticatedTokenRequest(deps, req);
    let revoked;
    try {
      revoked = await revokeToken(deps, client, token);
    } catch (err) {
      if (err instanceof OAuthError) throw err;
      // Postgres or Redis failed on the way: an outage, which the client may retry.
      deps.logger.warn({ err, clientId: client.id }, 'revocation incomplete');
      throw storeUnavailable();
    }
    if (revoked) {
      const { subject, ...detail } = revoked;
      deps.audit.record({
        type: 'token.revoked',
        outcome: 'success',
        actor: `client:${client.id}`,
        address: req.ip,
        clientId: client.id,
        // An access token of client_credentials has the client as its subject: no user.
        userId: subject === client.id ? undefined : subject,
        detail: { ...detail, via: 'rfc7009' },
      });
    }
    res.status(200).end();
  });
  return router;
}
