import type { Express } from 'express';
import {
  addDirectRoute,
  invalidRequest,
  publicCors,
  tokensIssued,
  unauthorizedClient,
  unsupportedGrantType,
} from '@mcp-auth/core';
import { authenticateClient } from '../client-auth/authenticate.ts';
import { markClientUsed } from '../clients/last-used.ts';
import type { AuthzContext } from '../deps.ts';
import { formEndpoint } from './form.ts';
import { GRANTS } from './grants/index.ts';

export const TOKEN_PATH = '/oauth/token';

/**
 * `POST /oauth/token`: authenticates the client, then hands over to the grant's module. A direct
 * route (core's direct-routes.ts): the hottest endpoint, and it needs nothing from express. The
 * CORS preflight is express's.
 */
export function addTokenEndpoint(app: Express, deps: AuthzContext): void {
  app.use(TOKEN_PATH, publicCors(['POST']));
  addDirectRoute(
    app,
    TOKEN_PATH,
    formEndpoint(
      deps.logger,
      async ({ params, authorization, address }) => {
        const grantType = params.grant_type;
        if (grantType === undefined) throw invalidRequest('grant_type is required');
        const grant = GRANTS.get(grantType);
        if (!grant) throw unsupportedGrantType('this grant_type is not supported');
        const client = await authenticateClient(deps, { authorization, params });
        if (!client.grantTypes.includes(grantType)) {
          throw unauthorizedClient(`the client is not registered for the ${grantType} grant`);
        }
        const { response, claims } = await grant({ deps, client, params, address });
        tokensIssued.inc({ grant_type: grantType, token_type: 'access_token' });
        if (response.refresh_token) tokensIssued.inc({ grant_type: grantType, token_type: 'refresh_token' });
        // Debug, not info: a line per token cost a few percent of the endpoint's CPU, and the audit
        // log and the tokens_issued metric already count them.
        deps.logger.debug({ clientId: client.id, grantType }, 'token issued');
        deps.audit.record({
          type: 'token.issued',
          outcome: 'success',
          actor: `client:${client.id}`,
          address,
          clientId: client.id,
          // client_credentials tokens have the client as subject: no user.
          userId: grantType === 'client_credentials' ? undefined : claims.sub,
          detail: {
            grantType,
            scope: response.scope,
            resource: claims.aud,
            familyId: claims.sid,
            jti: claims.jti,
            refreshToken: response.refresh_token !== undefined,
          },
        });
        await markClientUsed(deps, client);
        return response;
      },
      { cors: true },
    ),
  );
}
