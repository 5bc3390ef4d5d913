import { BASE_SCOPE, invalidScope, parseScope, SUPPORTED_SCOPES } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

/**
 * Every requested scope must be one we grant. No scope means the base scope (RFC 6749 §3.3 allows
 * a default).
 *
 * A client's registered `scope` (RFC 7591 §2) is deliberately not a ceiling here: MCP clients
 * register with the scope of their first challenge and later step up to more (the MCP "scope
 * challenge" flow), and here a person consents to every scope anyway. Grants without a person
 * (client_credentials) do stay within the registered scope.
 */
export function checkScope(params: RawParams): string[] {
  const requested = parseScope(single(params, 'scope'));
  const unknown = requested.filter((s) => !SUPPORTED_SCOPES.includes(s));
  if (unknown.length > 0) throw invalidScope(`unsupported scope: ${unknown.join(' ')}`);
  return requested.length > 0 ? requested : [BASE_SCOPE];
}
