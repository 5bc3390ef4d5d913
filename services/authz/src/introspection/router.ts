import type { Router } from 'express';
import { invalidClient, OAuthError, strictRouter, temporarilyUnavailable } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { authenticatedTokenRequest } from '../revocation/params.ts';
import { formEndpoint } from '../token/form.ts';
import { introspect } from './introspect.ts';

export const INTROSPECTION_PATH = '/oauth/introspect';

/**
 * `POST /oauth/introspect` (RFC 7662). §2.1 requires authorization: the caller authenticates as a
 * confidential client, as at the token endpoint, and learns only about tokens issued to itself,
 * or, for a resource server the operator registered with `introspection_resource`, about access
 * tokens for that resource (introspect.ts). Server-to-server, so no CORS.
 */
export function introspectionRouter(deps: AuthzContext): Router {
  const router = strictRouter();
  router.post(INTROSPECTION_PATH, ...formEndpoint(), async (req, res) => {
    const { client, token } = await authenticatedTokenRequest(deps, req);
    // A public client authenticates with its client_id alone, which anyone can send: whoever held
    // one of its (possibly rotated, stolen) tokens could probe it here without setting off reuse
    // detection. Introspection is for servers, which are confidential clients.
    if (client.tokenEndpointAuthMethod === 'none') {
      throw invalidClient('introspection needs a confidential client (a client secret)');
    }
    try {
      res.json(await introspect(deps, client, token));
    } catch (err) {
      if (err instanceof OAuthError) throw err;
      // The database or the revocation store did not answer: "active" cannot be decided, and guessing either way is wrong.
      deps.logger.warn({ err, clientId: client.id }, 'introspection failed');
      throw temporarilyUnavailable('cannot check the token now; retry');
    }
  });
  return router;
}
