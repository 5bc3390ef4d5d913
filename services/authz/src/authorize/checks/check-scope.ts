import { BASE_SCOPE, invalidScope, parseScope, SUPPORTED_SCOPES, type OAuthClient } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

/**
 * Every requested scope must be one we grant and, when the client registered a `scope`, one it
 * registered (RFC 7591 §2). No scope means the base scope (RFC 6749 §3.3 allows a default).
 */
export function checkScope(client: Pick<OAuthClient, 'scope'>, params: RawParams): string[] {
  const requested = parseScope(single(params, 'scope'));
  const unknown = requested.filter((s) => !SUPPORTED_SCOPES.includes(s));
  if (unknown.length > 0) throw invalidScope(`unsupported scope: ${unknown.join(' ')}`);
  const scopes = requested.length > 0 ? requested : [BASE_SCOPE];
  if (client.scope !== null && client.scope !== undefined) {
    const allowed = parseScope(client.scope);
    const outside = scopes.filter((s) => !allowed.includes(s));
    if (outside.length > 0) {
      throw invalidScope(`scope not registered for this app: ${outside.join(' ')}`);
    }
  }
  return scopes;
}
