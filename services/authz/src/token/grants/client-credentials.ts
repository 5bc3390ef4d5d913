import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { invalidScope, parseInput, parseScope, undeclaredScopes, unauthorizedClient } from '@mcp-auth/core';
import { targetServer } from '../../target-server.ts';
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
  const { policy } = deps.config;
  const server = targetServer(policy, input.resource);
  // Asking for none means what the server needs for any request, as at the authorization endpoint.
  const requested = parseScope(input.scope);
  const scopes = requested.length ? requested : [...server.required];
  // No person consents here, so the registered scope is the whole grant: a client that registered
  // none gets the policy's default scope only, never everything.
  const registered = client.scope === null ? policy.defaultScope : parseScope(client.scope);
  const unknown = undeclaredScopes(policy, scopes);
  if (unknown.length > 0) throw invalidScope(`unknown scope ${unknown.join(' ')}`);
  const unregistered = scopes.filter((s) => !registered.includes(s));
  if (unregistered.length > 0) {
    throw invalidScope(`scope ${unregistered.join(' ')} is not registered for this client`);
  }

  return tokenResponse(deps.config, deps.signingKey, {
    subject: client.id,
    clientId: client.id,
    scopes,
    resource: server.resource,
    familyId: randomUUID(),
  });
};
