import { formatScope, invalidClientMetadata, parseScope, SUPPORTED_SCOPES } from '@mcp-auth/core';

/**
 * RFC 7591 §2 `scope`: the scopes the client may ask for later. Only scopes the resource
 * understands can be registered; the result is normalised (deduplicated, single spaces), and an
 * empty value means "no restriction registered".
 */
export function normalizeScope(scope: string | undefined): string | undefined {
  const scopes = parseScope(scope);
  const unknown = scopes.find((s) => !SUPPORTED_SCOPES.includes(s));
  if (unknown !== undefined) {
    throw invalidClientMetadata(
      `scope: "${unknown.slice(0, 100)}" is not supported; supported scopes are ${SUPPORTED_SCOPES.join(' ')}`,
    );
  }
  return scopes.length ? formatScope(scopes) : undefined;
}
