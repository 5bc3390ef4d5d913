import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { parseCommandLine, printJson, printLine, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { withMcpClient } from '../connect.ts';
import { reauthorizer } from '../relogin.ts';
import { CredentialStore } from '../store.ts';

const usage = `Usage: mcp-auth tools <mcp-url> [options]

List the tools of an MCP server you are logged in to.

Options:
  --json       print name, description and input schema of each tool as JSON
  -h, --help   show this help
`;

export const tools: Command = {
  name: 'tools',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('tools', argv, {});
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('tools', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('tools', rawUrl);

    const store = CredentialStore.fromEnv();
    const list = await withMcpClient(
      serverUrl,
      store,
      async (client) => {
        const all: Tool[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : undefined);
          all.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor);
        return all;
      },
      { relogin: reauthorizer(store, serverUrl, Boolean(values.json)) },
    );

    if (values.json) {
      printJson({
        serverUrl,
        tools: list.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
      });
    } else if (list.length === 0) {
      printLine('No tools.');
    } else {
      const width = Math.max(...list.map((t) => t.name.length));
      for (const tool of list) {
        const summary = tool.description?.split('\n')[0]?.trim() ?? '';
        printLine(summary ? `${tool.name.padEnd(width)}  ${summary}` : tool.name);
      }
    }
    return 0;
  },
};
