import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { commands } from './commands/index.ts';
import { CliError, UsageError } from './errors.ts';
import { CLIENT_VERSION } from './version.ts';

const topUsage = `Usage: mcp-auth <command> [options]

Log in to OAuth-protected MCP servers and use their tools from the terminal.

Commands:
${commands
  .filter((c) => !c.hidden)
  .map((c) => `  ${c.name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Options:
  -h, --help   show help (for a command: mcp-auth <command> --help)
  --version    print the version

Credentials are kept per server in $MCP_AUTH_CONFIG_DIR, else $XDG_CONFIG_HOME/mcp-auth,
else ~/.config/mcp-auth. An expired access token is refreshed without asking; when the server
refuses the refresh token, a command run in a terminal logs in again through the browser, and
elsewhere (scripts, --json) it fails with "Session expired". Set MCP_AUTH_DEBUG=1 to see stack
traces of failures.
`;

/** The reason for a failure in one line: what the user can act on, not where the code was. */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof CliError) {
    text = error.message;
  } else if (error instanceof OAuthError) {
    text = `the authorization server answered ${error.errorCode}${error.message ? `: ${error.message}` : ''}`;
  } else if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause as { message?: string } | undefined;
    text = `cannot reach the server: ${cause?.message ?? 'network error'}`;
  } else if (error instanceof Error) {
    text = error.message || error.name;
  } else {
    text = String(error);
  }
  return text.replace(/\s+/g, ' ').trim();
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(topUsage);
    return 2;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(topUsage);
    return 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${CLIENT_VERSION}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}`);
  const command = commands.find((c) => c.name === first);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  return (await command.load()).run(rest);
}

/** Runs the CLI and returns its exit status; every failure is reported here, as one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`mcp-auth: ${error.message} (see \`${error.helpCommand}\`)\n`);
    } else {
      process.stderr.write(`mcp-auth: ${describeError(error)}\n`);
    }
    if (process.env.MCP_AUTH_DEBUG === '1' && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    return error instanceof CliError ? error.exitCode : 1;
  }
}

/** Entry point for bin/mcp-auth.js. */
export async function run(): Promise<void> {
  const status = await main(process.argv.slice(2));
  // Exit explicitly once output is flushed: idle keep-alive sockets must not hold the terminal.
  const flush = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(status);
}
