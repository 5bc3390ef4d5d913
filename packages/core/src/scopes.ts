/**
 * The scopes the MCP resource understands. The MCP service requires them per tool, the
 * authorization server grants only these (a request for none gets BASE_SCOPE), and both advertise them in their metadata.
 */
export const BASE_SCOPE = 'mcp:tools';
/** Reveals who the caller is (the `whoami` tool). */
export const IDENTITY_SCOPE = 'mcp:identity';
export const SUPPORTED_SCOPES: readonly string[] = [BASE_SCOPE, IDENTITY_SCOPE];

export const parseScope = (scope: string | undefined | null): string[] => [
  ...new Set((scope ?? '').split(' ').filter(Boolean)),
];

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');
