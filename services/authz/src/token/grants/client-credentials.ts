import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  BASE_SCOPE,
  invalidScope,
  invalidTarget,
  parseInput,
  parseScope,
  sameResource,
  SUPPORTED_SCOPES,
  unauthorizedClient,
} from '@mcp-auth/core';
import { tokenResponse } from '../issue.ts';
import type { GrantHandler } from './grant.ts';

const schema = z.object({
  scope: z.string().optional(),
  resource: z.string().optional(),
});

/**
 * RFC 6749 §4.4: a confidential client acting for itself. The subject is the client, every
 * token is its own family, and there is no refresh token (the client can simply ask again).
 */
export const clientCredentialsGrant: GrantHandler = async ({ deps, client, params }) => {
  // A public client cannot prove who it is, so it cannot act as itself.
  if (client.tokenEndpointAuthMethod === 'none') {
    throw unauthorizedClient('client_credentials requires a confidential client');
  }
  const input = parseInput(schema, params);
  const requested = parseScope(input.scope);
  const scopes = requested.length ? requested : [BASE_SCOPE];
  // No person consents here, so the registered scope is the whole grant: a client that registered
  // none gets the base scope only, never everything.
  const registered = client.scope === null ? [BASE_SCOPE] : parseScope(client.scope);
  for (const scope of scopes) {
    if (!SUPPORTED_SCOPES.includes(scope)) throw invalidScope(`unknown scope ${scope}`);
    if (!registered.includes(scope)) {
      throw invalidScope(`scope ${scope} is not registered for this client`);
    }
  }
  if (input.resource !== undefined && !sameResource(input.resource, deps.config.resource)) {
    throw invalidTarget('unknown resource');
  }
  const resource = deps.config.resource;

  return tokenResponse(deps.config, deps.signingKey, {
    subject: client.id,
    clientId: client.id,
    scopes,
    resource,
    familyId: randomUUID(),
  });
};
