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
import type { MachineCredentials, StoredTokens } from '../store.ts';

const DEFAULT_TIMEOUT_SECONDS = LOGIN_TIMEOUT_SECONDS;

const usage = `Usage: mcp-auth login <mcp-url> [options]

Log in to an MCP server: finds its authorization server, registers this client on first use,
opens your browser to sign in and consent, and stores the tokens for the other commands.

With --client-id, logs in as a machine instead (OAuth client_credentials, no browser): the
client authenticates with a secret or a private key (private_key_jwt, RFC 7523). The other
commands then ask for a new token with the same credentials when it expires; the credential
stays where it is (the file or variable is read again each time).

Options:
  --scope "<scopes>"           scopes to ask for, space-separated (default: what the server asks for)
  --no-browser                 do not open a browser; open the printed URL yourself
  --timeout <seconds>          how long to wait for the browser (default ${DEFAULT_TIMEOUT_SECONDS})
  --client-metadata-url <url>  https URL of this client's metadata document, used instead of
                               registration when the server supports client ID metadata documents
  --client-id <id>             machine login with this registered client_credentials client, and one of:
    --client-secret-file <path>  file holding the client secret
    --client-secret-env <name>   environment variable holding the client secret
    --private-key-file <path>    PEM private key for private_key_jwt (RSA, EC or Ed25519)
  --json                       print the result as JSON
  -h, --help                   show this help
`;

const MACHINE_SOURCES = ['client-secret-file', 'client-secret-env', 'private-key-file'] as const;

/** The machine login asked for, checked: --client-id with exactly one credential, and nothing of a browser's. */
function machineOptions(values: Partial<Record<string, string | boolean>>): MachineCredentials | undefined {
  const clientId = values['client-id'];
  const given = MACHINE_SOURCES.filter((name) => values[name] !== undefined);
  if (typeof clientId !== 'string') {
    if (given.length) throw new UsageError(`--${given[0]} needs --client-id`, 'mcp-auth login --help');
    return undefined;
  }
  if (!clientId.trim()) throw new UsageError('--client-id must not be empty', 'mcp-auth login --help');
  if (given.length !== 1) {
    throw new UsageError(
      '--client-id needs one of --client-secret-file, --client-secret-env, --private-key-file',
      'mcp-auth login --help',
    );
  }
  for (const browserOnly of ['no-browser', 'client-metadata-url', 'timeout']) {
    if (values[browserOnly] !== undefined) {
      throw new UsageError(`--${browserOnly} does not apply to a machine login`, 'mcp-auth login --help');
    }
  }
  const scope = typeof values.scope === 'string' ? values.scope.trim() || undefined : undefined;
  return {
    clientId: clientId.trim(),
    ...(typeof values['client-secret-file'] === 'string' ? { secretFile: values['client-secret-file'] } : {}),
    ...(typeof values['client-secret-env'] === 'string' ? { secretEnv: values['client-secret-env'] } : {}),
    ...(typeof values['private-key-file'] === 'string' ? { privateKeyFile: values['private-key-file'] } : {}),
    ...(scope ? { scope } : {}),
  };
}

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
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('login', argv, {
      scope: { type: 'string' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
      'client-metadata-url': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-file': { type: 'string' },
      'client-secret-env': { type: 'string' },
      'private-key-file': { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('login', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('login', rawUrl);
    const machine = machineOptions(values);
    if (machine) {
      // Loaded only here: it brings the SDK's client-assertion signer.
      const { absoluteSources, logInAsMachine } = await import('../machine.ts');
      const tokens = await logInAsMachine({
        store: CredentialStore.fromEnv(),
        serverUrl,
        machine: absoluteSources(machine),
      });
      report(serverUrl, tokens, Boolean(values.json), machine.clientId);
      return 0;
    }
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
    report(serverUrl, tokens, Boolean(values.json));
    return 0;
  },
};

function report(serverUrl: string, tokens: StoredTokens, json: boolean, machineClientId?: string): void {
  const expiresAt = expiryOf(tokens);
  if (json) {
    printJson({
      serverUrl,
      scope: tokens.scope ?? null,
      expiresAt,
      refreshable: Boolean(tokens.refresh_token),
      ...(machineClientId ? { machine: { clientId: machineClientId } } : {}),
    });
    return;
  }
  const scopes = tokens.scope ? `scopes ${tokens.scope}` : 'scopes chosen by the server';
  const as = machineClientId ? ` as client ${machineClientId}` : '';
  printLine(
    `Logged in to ${serverUrl}${as} (${scopes}, ${expiresAt ? `expires ${expiresAt}` : 'no expiry given'})`,
  );
}
