import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Tool } from '../tools/index.ts';

export const SERVER_INFO = { name: 'mcp-auth', version: '0.1.0' };

export function createMcpServer(tools: readonly Tool[]): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: {} } });
  for (const tool of tools) tool.register(server);
  return server;
}
