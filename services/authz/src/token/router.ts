import type { Router } from 'express';
import { decodeJwt } from 'jose';
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
    const response = await grant({ deps, client, params, address: req.ip });
    tokensIssued.inc({ grant_type: grantType, token_type: 'access_token' });
    if (response.refresh_token) tokensIssued.inc({ grant_type: grantType, token_type: 'refresh_token' });
    // Debug, not info: a line per token cost a few percent of the endpoint's CPU, and the audit log
    // and the tokens_issued metric already count them.
    deps.logger.debug({ clientId: client.id, grantType }, 'token issued');
    // The token was signed a moment ago by this process: its claims are read, not verified again.
    const claims = decodeJwt(response.access_token);
    deps.audit.record({
      type: 'token.issued',
      outcome: 'success',
      actor: `client:${client.id}`,
      address: req.ip,
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
    res.json(response);
  });
  return router;
}
