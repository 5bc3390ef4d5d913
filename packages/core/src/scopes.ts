/**
 * The scopes the MCP resource understands. The MCP service requires them per tool, the
 * authorization server grants only these, and both advertise them in their metadata.
 */
export const BASE_SCOPE = 'mcp:tools';
export const SUPPORTED_SCOPES = [BASE_SCOPE, 'mcp:echo', 'mcp:whoami'] as const;

export const parseScope = (scope: string | undefined | null): string[] => [
  ...new Set((scope ?? '').split(' ').filter(Boolean)),
];

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');
