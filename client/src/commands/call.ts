import { parseCommandLine, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { withMcpClient } from '../connect.ts';
import { UsageError } from '../errors.ts';
import { reauthorizer } from '../relogin.ts';
import { CredentialStore } from '../store.ts';
import { callTool, reportToolResult } from '../tool-result.ts';

const usage = `Usage: mcp-auth call <mcp-url> <tool> [json-args] [options]

Call a tool of an MCP server you are logged in to and print its text output.
json-args is a JSON object with the tool's arguments, e.g. '{"text":"hello"}' (default {}).
Exits with status 1 when the tool reports an error.

Options:
  --json       print the whole tool result as JSON
  -h, --help   show this help
`;

function parseToolArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`json-args is not valid JSON: ${text}`, 'mcp-auth call --help');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(
      'json-args must be a JSON object, e.g. \'{"text":"hello"}\'',
      'mcp-auth call --help',
    );
  }
  return value as Record<string, unknown>;
}

export const call: Command = {
  name: 'call',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('call', argv, {});
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl, tool = '', rawArgs] = takePositionals(
      'call',
      positionals,
      ['<mcp-url>', '<tool>'],
      ['[json-args]'],
    );
    const serverUrl = serverUrlArgument('call', rawUrl);
    const args = parseToolArguments(rawArgs);

    const store = CredentialStore.fromEnv();
    const result = await withMcpClient(serverUrl, store, (client) => callTool(client, tool, args), {
      relogin: reauthorizer(store, serverUrl, Boolean(values.json)),
    });
    return reportToolResult(tool, result, Boolean(values.json), result);
  },
};
