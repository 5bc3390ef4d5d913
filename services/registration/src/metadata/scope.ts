import { formatScope, parseScope, undeclaredScopes, type Policy } from '@mcp-auth/core';

/**
 * RFC 7591 §2 `scope`: the scopes the client may ask for later. Scopes the operator's policy does
 * not declare are dropped rather than failing the registration: RFC 7591 §3.2.1 lets the server
 * replace what was requested, and the response shows what was registered. MCP clients send what
 * their first challenge or an older server named (`openid profile`, …); refusing them would only
 * stop the client from registering. The result is normalised (deduplicated, single spaces); empty
 * means "no restriction registered".
 */
export function normalizeScope(
  scope: string | undefined,
  policy: Pick<Policy, 'scopes'>,
): string | undefined {
  const requested = parseScope(scope);
  const dropped = undeclaredScopes(policy, requested);
  const kept = requested.filter((s) => !dropped.includes(s));
  return kept.length ? formatScope(kept) : undefined;
}
