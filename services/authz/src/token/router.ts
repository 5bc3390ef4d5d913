import type { Router } from 'express';
import {
  strictRouter,
  invalidRequest,
  tokensIssued,
  unauthorizedClient,
  unsupportedGrantType,
  publicCors,
} from '@mcp-auth/core';
import { authenticateClient } from '../client-auth/authenticate.ts';
import { markClientUsed } from '../clients/last-used.ts';
import type { AuthzContext } from '../deps.ts';
import { formEndpoint, formParams } from './form.ts';
import { GRANTS } from './grants/index.ts';

const PATH = '/oauth/token';

/** `POST /oauth/token`: authenticates the client, then hands over to the grant's module. */
export function tokenRouter(deps: AuthzContext): Router {
  const router = strictRouter();
  router.use(PATH, publicCors(['POST']));
  router.post(PATH, ...formEndpoint(), async (req, res) => {
    const params = formParams(req.body);
    const grantType = params.grant_type;
    if (grantType === undefined) throw invalidRequest('grant_type is required');
    const grant = GRANTS.get(grantType);
    if (!grant) throw unsupportedGrantType('this grant_type is not supported');
    const client = await authenticateClient(deps, {
      authorization: req.headers.authorization,
      params,
    });
    if (!client.grantTypes.includes(grantType)) {
      throw unauthorizedClient(`the client is not registered for the ${grantType} grant`);
    }
    const response = await grant({ deps, client, params });
    tokensIssued.inc({ grant_type: grantType, token_type: 'access_token' });
    if (response.refresh_token) tokensIssued.inc({ grant_type: grantType, token_type: 'refresh_token' });
    // Debug, not info: a line per token cost a few percent of the endpoint's CPU, and the audit log
    // and the tokens_issued metric already count them.
    deps.logger.debug({ clientId: client.id, grantType }, 'token issued');
    await markClientUsed(deps, client);
    res.json(response);
  });
  return router;
}
