import type { Express } from 'express';
import { addDirectRoute, invalidClient, OAuthError, temporarilyUnavailable } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { authenticatedTokenRequest } from '../revocation/params.ts';
import { formEndpoint } from '../token/form.ts';
import { introspect } from './introspect.ts';

export const INTROSPECTION_PATH = '/oauth/introspect';

/**
 * `POST /oauth/introspect` (RFC 7662). §2.1 requires authorization: the caller authenticates as a
 * confidential client, as at the token endpoint, and learns only about tokens issued to itself,
 * or, for a resource server the operator registered with `introspection_resource`, about access
 * tokens for that resource (introspect.ts). Server-to-server, so no CORS. A direct route (core's
 * direct-routes.ts), as the token endpoint.
 */
export function addIntrospectionEndpoint(app: Express, deps: AuthzContext): void {
  addDirectRoute(
    app,
    INTROSPECTION_PATH,
    formEndpoint(deps.logger, async (request) => {
      const { client, token } = await authenticatedTokenRequest(deps, request);
      // A public client authenticates with its client_id alone, which anyone can send: whoever held
      // one of its (possibly rotated, stolen) tokens could probe it here without setting off reuse
      // detection. Introspection is for servers, which are confidential clients.
      if (client.tokenEndpointAuthMethod === 'none') {
        throw invalidClient('introspection needs a confidential client (a client secret)');
      }
      try {
        return await introspect(deps, client, token);
      } catch (err) {
        if (err instanceof OAuthError) throw err;
        // The database or the revocation store did not answer: "active" cannot be decided, and guessing either way is wrong.
        deps.logger.warn({ err, clientId: client.id }, 'introspection failed');
        throw temporarilyUnavailable('cannot check the token now; retry');
      }
    }),
  );
}
