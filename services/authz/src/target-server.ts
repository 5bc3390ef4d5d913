import { invalidTarget, serverForResource, type Policy, type ServerPolicy } from '@mcp-auth/core';

/**
 * RFC 8707 §2: the protected server a token is requested for, at the authorization and token
 * endpoints alike. `resource` must name one of the policy's servers (compared as URLs); without
 * it, the one server when there is exactly one, since then nothing is ambiguous. With several, a
 * token valid at all of them would defeat audience binding, so the client must say which.
 */
export function targetServer(policy: Policy, resource: string | undefined): ServerPolicy {
  if (resource === undefined) {
    if (policy.servers.length === 1) return policy.servers[0]!;
    throw invalidTarget(`resource is required: this server issues tokens for ${resourcesOf(policy)}`);
  }
  if (!URL.canParse(resource)) throw invalidTarget('resource must be an absolute URI');
  if (resource.includes('#')) throw invalidTarget('resource must not contain a fragment');
  const server = serverForResource(policy, resource);
  if (!server) throw invalidTarget(`unknown resource; this server issues tokens for ${resourcesOf(policy)}`);
  return server;
}

const resourcesOf = (policy: Policy): string => policy.servers.map((s) => s.resource).join(' ');
