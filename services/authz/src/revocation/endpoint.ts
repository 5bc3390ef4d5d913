import type { Express } from 'express';
import { addDirectRoute, OAuthError, publicCors } from '@mcp-auth/core';
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
 * harmless. Browser-based clients log out from their own origin, hence CORS. A form endpoint like
 * the token endpoint, so a direct route too (core's direct-routes.ts).
 */
export function addRevocationEndpoint(app: Express, deps: AuthzContext): void {
  app.use(REVOCATION_PATH, publicCors(['POST']));
  addDirectRoute(
    app,
    REVOCATION_PATH,
    formEndpoint(
      deps.logger,
      async (request) => {
        const { client, token } = await authenticatedTokenRequest(deps, request);
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
            address: request.address,
            clientId: client.id,
            // An access token of client_credentials has the client as its subject: no user.
            userId: subject === client.id ? undefined : subject,
            detail: { ...detail, via: 'rfc7009' },
          });
        }
        return undefined;
      },
      { cors: true },
    ),
  );
}
