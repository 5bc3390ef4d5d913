import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Tool } from '../tools/index.ts';

export const SERVER_INFO = { name: 'mcp-auth', version: '0.1.0' };

/** `scopes`: each tool's own scopes from the policy (the HTTP layer has checked them already). */
export function createMcpServer(
  tools: readonly Tool[],
  scopes: ReadonlyMap<string, readonly string[]>,
): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: {} } });
  for (const tool of tools) tool.register(server, scopes.get(tool.name) ?? []);
  return server;
}
