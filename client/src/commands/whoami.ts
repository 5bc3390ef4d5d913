import { parseCommandLine, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { withMcpClient } from '../connect.ts';
import { reauthorizer } from '../relogin.ts';
import { CredentialStore } from '../store.ts';
import { callTool, reportToolResult } from '../tool-result.ts';

const usage = `Usage: mcp-auth whoami <mcp-url> [options]

Show who the MCP server thinks you are (its whoami tool: subject, client and scopes).

Options:
  --json       print the identity as JSON
  -h, --help   show this help
`;

export const whoami: Command = {
  name: 'whoami',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('whoami', argv, {});
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('whoami', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('whoami', rawUrl);

    const store = CredentialStore.fromEnv();
    const result = await withMcpClient(serverUrl, store, (client) => callTool(client, 'whoami', {}), {
      relogin: reauthorizer(store, serverUrl, Boolean(values.json)),
    });
    // Scripts want the identity itself: the tool's structured content when it has one.
    return reportToolResult('whoami', result, Boolean(values.json), result.structuredContent ?? result);
  },
};
