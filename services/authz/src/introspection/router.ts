import type { Router } from 'express';
import { handler, strictRouter, OAuthError, temporarilyUnavailable } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { authenticatedTokenRequest } from '../revocation/params.ts';
import { formEndpoint } from '../token/form.ts';
import { introspect } from './introspect.ts';

export const INTROSPECTION_PATH = '/oauth/introspect';

/**
 * `POST /oauth/introspect` (RFC 7662). §2.1 requires authorization: the caller authenticates as at
 * the token endpoint, and learns only about tokens issued to itself. That makes it safe for public
 * clients too (a `client_id` alone proves nothing, but it reveals only what the holder of the token
 * can already see by using it). Server-to-server, so no CORS.
 */
export function introspectionRouter(deps: AuthzDeps): Router {
  const router = strictRouter();
  router.post(
    INTROSPECTION_PATH,
    ...formEndpoint(),
    handler(async (req, res) => {
      const { client, token } = await authenticatedTokenRequest(deps, req);
      try {
        res.json(await introspect(deps, client, token));
      } catch (err) {
        if (err instanceof OAuthError) throw err;
        // The database did not answer: "active" cannot be decided, and guessing either way is wrong.
        deps.logger.warn({ err, clientId: client.id }, 'introspection failed');
        throw temporarilyUnavailable('cannot check the token now; retry');
      }
    }),
  );
  return router;
}
