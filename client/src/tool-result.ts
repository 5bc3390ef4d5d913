import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { printJson, printLine } from './args.ts';

/** Calls a tool and returns its result in the current (content-based) shape. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return client.callTool({ name, arguments: args }, CallToolResultSchema) as Promise<CallToolResult>;
}

/** The text a person wants to see: text blocks as they are, other blocks named, else the structured content. */
export function toolResultText(result: CallToolResult): string {
  const parts = result.content.map((block) => {
    switch (block.type) {
      case 'text':
        return block.text;
      case 'resource_link':
        return `[resource ${block.uri}]`;
      case 'resource':
        return 'text' in block.resource ? block.resource.text : `[resource ${block.resource.uri}]`;
      default:
        return `[${block.type} content${'mimeType' in block ? ` (${block.mimeType})` : ''}]`;
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) {
    return JSON.stringify(result.structuredContent, null, 2);
  }
  return parts.join('\n');
}

/**
 * Prints a tool result (JSON: `jsonValue`, a single document) and returns the exit status: a result with
 * isError is a failure, reported on stderr as one line.
 */
export function reportToolResult(
  tool: string,
  result: CallToolResult,
  json: boolean,
  jsonValue: unknown,
): number {
  if (json) printJson(jsonValue);
  if (result.isError) {
    const reason = toolResultText(result).replace(/\s+/g, ' ').trim();
    process.stderr.write(`mcp-auth: tool ${tool} failed${reason ? `: ${reason}` : ''}\n`);
    return 1;
  }
  if (!json) printLine(toolResultText(result));
  return 0;
}
