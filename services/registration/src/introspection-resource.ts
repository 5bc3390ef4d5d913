import { z } from 'zod';
import { invalidClientMetadata, parseInput, serverForResource, type Policy } from '@mcp-auth/core';
import { requireInitialAccessToken } from './client-credentials-operator.ts';
import { LIMITS, optional } from './metadata/schema.ts';

/**
 * `introspection_resource` (our extension to RFC 7591 metadata): the protected resource, one of
 * the policy's, whose access tokens this client may introspect whoever they were issued to. That
 * is what a resource server needs from RFC 7662, and it reveals other clients' tokens, so only the
 * operator grants it: at registration with the initial access token. It is read here, not in
 * validateClientMetadata, so a client metadata document (CIMD) can never carry it.
 */
const schema = z.object({
  introspection_resource: optional(z.string().min(1).max(LIMITS.uri)),
});

/** The requested resource, checked against the policy; undefined when none is asked for. */
function requestedResource(body: unknown, policy: Pick<Policy, 'servers'>): string | undefined {
  const { introspection_resource: requested } = parseInput(schema, body, invalidClientMetadata);
  if (requested === undefined) return undefined;
  const server = serverForResource(policy, requested);
  if (!server) {
    throw invalidClientMetadata(
      `introspection_resource: ${requested} is not a protected resource of this server`,
    );
  }
  return server.resource;
}

/** Introspection needs client authentication (see introspection/router.ts in authz). */
function requireConfidential(authMethod: string): void {
  if (authMethod === 'none') {
    throw invalidClientMetadata('introspection_resource: needs a confidential client');
  }
}

/** At registration: the resource, granted only with the operator's initial access token. */
export function introspectionResourceOnRegistration(
  body: unknown,
  req: {
    policy: Pick<Policy, 'servers'>;
    authMethod: string;
    authorization: string | undefined;
    initialAccessToken: string | undefined;
  },
): string | undefined {
  const resource = requestedResource(body, req.policy);
  if (resource === undefined) return undefined;
  if (req.initialAccessToken === undefined) {
    throw invalidClientMetadata(
      'introspection_resource: needs operator registration with an initial access token',
    );
  }
  requireConfidential(req.authMethod);
  requireInitialAccessToken(req.authorization, req.initialAccessToken, 'an introspection_resource');
  return resource;
}

/**
 * At an RFC 7592 update, which is authenticated by the registration access token, never the
 * operator's: the client may keep what the operator granted, or drop it, but not add or change it.
 */
export function introspectionResourceOnUpdate(
  body: unknown,
  req: { policy: Pick<Policy, 'servers'>; authMethod: string; registered: string | null },
): string | null {
  const resource = requestedResource(body, req.policy);
  if (resource === undefined) return null;
  if (resource !== req.registered) {
    throw invalidClientMetadata('introspection_resource: only the operator grants it, at registration');
  }
  requireConfidential(req.authMethod);
  return resource;
}
