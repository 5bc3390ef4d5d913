import {
  parseCommandLine,
  parseSeconds,
  printJson,
  printLine,
  serverUrlArgument,
  takePositionals,
} from '../args.ts';
import type { Command } from '../args.ts';
import { presentAuthorizationUrl } from '../browser.ts';
import { UsageError } from '../errors.ts';
import { logInThroughLoopback } from '../login-flow.ts';
import { LOGIN_TIMEOUT_SECONDS } from '../relogin.ts';
import { CredentialStore } from '../store.ts';
import type { StoredTokens } from '../store.ts';

const DEFAULT_TIMEOUT_SECONDS = LOGIN_TIMEOUT_SECONDS;

const usage = `Usage: mcp-auth login <mcp-url> [options]

Log in to an MCP server: finds its authorization server, registers this client on first use,
opens your browser to sign in and consent, and stores the tokens for the other commands.

Options:
  --scope "<scopes>"           scopes to ask for, space-separated (default: what the server asks for)
  --no-browser                 do not open a browser; open the printed URL yourself
  --timeout <seconds>          how long to wait for the browser (default ${DEFAULT_TIMEOUT_SECONDS})
  --client-metadata-url <url>  https URL of this client's metadata document, used instead of
                               registration when the server supports client ID metadata documents
  --json                       print the result as JSON
  -h, --help                   show this help
`;

/** An https URL with a path: what a client ID metadata document URL must be. */
export function checkClientMetadataUrl(command: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.pathname === '/') {
    throw new UsageError(
      `--client-metadata-url must be an https URL with a path, got ${JSON.stringify(value)}`,
      `mcp-auth ${command} --help`,
    );
  }
  return url.href;
}

export const expiryOf = (tokens: StoredTokens): string | null =>
  tokens.expires_at === undefined ? null : new Date(tokens.expires_at * 1000).toISOString();

export const login: Command = {
  name: 'login',
  summary: 'log in (opens the browser) and store the tokens',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('login', argv, {
      scope: { type: 'string' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
      'client-metadata-url': { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('login', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('login', rawUrl);
    const timeoutMs = parseSeconds('login', 'timeout', values.timeout, DEFAULT_TIMEOUT_SECONDS) * 1000;
    const clientMetadataUrl = checkClientMetadataUrl('login', values['client-metadata-url']);
    const scope = values.scope?.trim() || undefined;
    const openBrowser = !values['no-browser'];

    const tokens = await logInThroughLoopback({
      store: CredentialStore.fromEnv(),
      serverUrl,
      scope,
      clientMetadataUrl,
      timeoutMs,
      onAuthorizationUrl: (url) => presentAuthorizationUrl(url, serverUrl, openBrowser),
    });

    const expiresAt = expiryOf(tokens);
    if (values.json) {
      printJson({
        serverUrl,
        scope: tokens.scope ?? null,
        expiresAt,
        refreshable: Boolean(tokens.refresh_token),
      });
    } else {
      const scopes = tokens.scope ? `scopes ${tokens.scope}` : 'scopes chosen by the server';
      printLine(
        `Logged in to ${serverUrl} (${scopes}, ${expiresAt ? `expires ${expiresAt}` : 'no expiry given'})`,
      );
    }
    return 0;
  },
};
