import { BASE_SCOPE } from '@mcp-auth/core';

/** Tool name → the scope a caller needs to call it. */
export type ToolScopes = ReadonlyMap<string, string>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The scopes a JSON-RPC body (one message or a batch) needs: the base scope for anything on this
 * resource, plus each called tool's scope. Unknown tools add nothing: the MCP server answers them.
 */
export function requiredScopes(body: unknown, toolScopes: ToolScopes): string[] {
  const needed = new Set([BASE_SCOPE]);
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isObject(message) || message.method !== 'tools/call' || !isObject(message.params)) continue;
    const name = message.params.name;
    const scope = typeof name === 'string' ? toolScopes.get(name) : undefined;
    if (scope) needed.add(scope);
  }
  return [...needed];
}

/**
 * The scopes the token lacks, and what a step-up must ask for: the token's scopes plus the
 * missing ones, so the new token keeps what the client could already do.
 */
export function scopeShortfall(
  granted: readonly string[],
  needed: readonly string[],
): { missing: string[]; stepUp: string[] } {
  const missing = needed.filter((s) => !granted.includes(s));
  return { missing, stepUp: missing.length === 0 ? [] : [...new Set([...granted, ...missing])] };
}
