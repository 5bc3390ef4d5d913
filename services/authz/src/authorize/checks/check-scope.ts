import { invalidScope, parseScope, undeclaredScopes, type Policy, type ServerPolicy } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

/**
 * Every requested scope must be one the operator's policy declares. No scope means what the target
 * server needs for any request (RFC 6749 §3.3 allows a default): the policy's default scope unless
 * that server names its own `required` scopes.
 *
 * A client's registered `scope` (RFC 7591 §2) is deliberately not a ceiling here: MCP clients
 * register with the scope of their first challenge and later step up to more (the MCP "scope
 * challenge" flow), and here a person consents to every scope anyway. Grants without a person
 * (client_credentials) do stay within the registered scope.
 */
export function checkScope(params: RawParams, policy: Policy, server: ServerPolicy): string[] {
  const requested = parseScope(single(params, 'scope'));
  const unknown = undeclaredScopes(policy, requested);
  if (unknown.length > 0) throw invalidScope(`unsupported scope: ${unknown.join(' ')}`);
  return requested.length > 0 ? requested : [...server.required];
}
