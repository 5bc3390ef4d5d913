import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCommandLine, parseSeconds, printJson, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { withMcpClient, type Reauthorization } from '../connect.ts';
import { CliError, InsufficientScopeError, NotLoggedInError, SessionExpiredError } from '../errors.ts';
import { logInThroughLoopback } from '../login-flow.ts';
import { reauthorizer } from '../relogin.ts';
import { CredentialStore } from '../store.ts';
import { callTool } from '../tool-result.ts';
import { checkClientMetadataUrl } from './login.ts';

async function listAndCallFirstTool(client: Client) {
  const { tools } = await client.listTools();
  const first = tools[0];
  const result = first ? await callTool(client, first.name, {}) : undefined;
  return { tools: tools.map((t) => t.name), called: first?.name, isError: result?.isError ?? false };
}

/**
 * The client ID metadata document URL the conformance suite's authorization server accepts without fetching
 * it (its basic-cimd scenario expects exactly this client_id).
 */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

const usage = `Usage: mcp-auth conformance <mcp-url> [options]

Client role for the MCP conformance suite (not for everyday use): logs in without a browser (the
suite's authorization server approves at once; its redirect is followed with plain HTTP to the
loopback listener), lists the tools and calls the first one, with the same step-up as the other
commands in a terminal (SEP-2350: one more authorization with the scopes held plus the ones the
server names). A 401 after a login means the login was not accepted: the command logs in once
more, discovering the authorization server again (it may have moved: SEP-2352).
Credentials live in a temporary folder. Reads MCP_CONFORMANCE_CONTEXT, which the suite sets for
some scenarios: pre-registered client credentials, or a client_credentials client (secret or
private key) for which it runs a machine login, as \`mcp-auth login --client-id\` does.

Options:
  --client-metadata-url <url>  client ID metadata document URL (default: the suite's)
  --timeout <seconds>          per login (default 20)
  --json                       print what was done as JSON
  -h, --help                   show this help
`;

/** What the suite hands over (its `name` is the scenario's), in the forms the CLI uses. */
const contextSchema = z.union([
  z
    .looseObject({
      name: z.literal('auth/client-credentials-jwt'),
      client_id: z.string().min(1),
      private_key_pem: z.string().min(1),
    })
    .transform((c) => ({
      kind: 'machine' as const,
      clientId: c.client_id,
      privateKeyPem: c.private_key_pem,
    })),
  z
    .looseObject({
      name: z.literal('auth/client-credentials-basic'),
      client_id: z.string().min(1),
      client_secret: z.string().min(1),
    })
    .transform((c) => ({ kind: 'machine' as const, clientId: c.client_id, secret: c.client_secret })),
  z
    .looseObject({ client_id: z.string().min(1), client_secret: z.string().optional() })
    .transform((c) => ({ kind: 'pre-registered' as const, clientId: c.client_id, secret: c.client_secret })),
]);
type Context = z.infer<typeof contextSchema>;

function readContext(): Context | undefined {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return undefined;
  const context = contextSchema.safeParse(JSON.parse(raw));
  return context.success ? context.data : undefined;
}

/** Pre-registered credentials (auth/pre-registration): stored as the registration. */
async function seedPreRegisteredClient(
  store: CredentialStore,
  serverUrl: string,
  context: Extract<Context, { kind: 'pre-registered' }>,
): Promise<void> {
  await store.update(serverUrl, (current) => ({
    ...current,
    clientInformation: {
      client_id: context.clientId,
      ...(context.secret ? { client_secret: context.secret } : {}),
    },
  }));
}

/**
 * A client_credentials client: its secret or key is written to a file in the temporary folder (0600), and
 * the machine login reads it from there, as it would an operator's.
 */
async function logInAsSuiteMachine(
  dir: string,
  store: CredentialStore,
  serverUrl: string,
  context: Extract<Context, { kind: 'machine' }>,
): Promise<void> {
  const { logInAsMachine } = await import('../machine.ts');
  const file = join(dir, 'credential');
  await writeFile(file, 'privateKeyPem' in context ? context.privateKeyPem : context.secret, { mode: 0o600 });
  const source = 'privateKeyPem' in context ? { privateKeyFile: file } : { secretFile: file };
  await logInAsMachine({ store, serverUrl, machine: { clientId: context.clientId, ...source } });
}

/** Stands in for the browser: asks the authorization endpoint, then delivers its redirect to the listener. */
async function followWithoutBrowser(authorizationUrl: URL, redirectUri: string): Promise<void> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.body?.cancel();
  const location = response.headers.get('location');
  const target = location ? new URL(location, authorizationUrl) : undefined;
  if (!target || !target.href.startsWith(`${redirectUri}?`)) {
    throw new CliError(
      `the authorization endpoint answered HTTP ${response.status} without redirecting back to ${redirectUri}`,
    );
  }
  // The listener's verdict arrives through its waitForCode(); this response is only its HTML page.
  await fetch(target).then((r) => r.body?.cancel());
}

export const conformance: Command = {
  name: 'conformance',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('conformance', argv, {
      'client-metadata-url': { type: 'string' },
      timeout: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('conformance', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('conformance', rawUrl);
    const clientMetadataUrl =
      checkClientMetadataUrl('conformance', values['client-metadata-url']) ?? SUITE_CLIENT_METADATA_URL;
    const timeoutMs = parseSeconds('conformance', 'timeout', values.timeout, 20) * 1000;

    const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-conformance-'));
    try {
      const store = new CredentialStore(dir);
      const context = readContext();
      const logIn = async (scope?: string) => {
        if (context?.kind === 'machine') {
          await logInAsSuiteMachine(dir, store, serverUrl, context);
          return;
        }
        const tokens = await logInThroughLoopback({
          store,
          serverUrl,
          scope,
          clientMetadataUrl,
          timeoutMs,
          onAuthorizationUrl: followWithoutBrowser,
        });
        process.stderr.write(`logged in to ${serverUrl} (scope ${tokens.scope ?? 'not stated'})\n`);
      };
      if (context?.kind === 'pre-registered') await seedPreRegisteredClient(store, serverUrl, context);
      await logIn();
      let logins = 1;
      const exercise = (client: Client) => listAndCallFirstTool(client);
      // The commands' own answer to a step-up (withMcpClient: once, with the union of the scopes held and
      // the ones named); for a person's login this driver stands in for the browser.
      const machineStepUp = reauthorizer(store, serverUrl, true);
      const relogin = async (reason: Reauthorization) => {
        logins++;
        if (context?.kind === 'machine') return machineStepUp(reason);
        process.stderr.write(`${reason.message}\n`);
        await logIn(reason instanceof InsufficientScopeError ? reason.suggestedScope : reason.scope);
      };
      let done;
      try {
        done = await withMcpClient(serverUrl, store, exercise, { relogin });
      } catch (error) {
        // Refused after a login: the authorization server may have moved (SEP-2352). Log in again, once;
        // the SDK drops a registration bound to another authorization server, and registers anew.
        if (!(error instanceof NotLoggedInError) || error instanceof SessionExpiredError) throw error;
        process.stderr.write(`${error.message}\n`);
        await logIn();
        logins++;
        done = await withMcpClient(serverUrl, store, exercise, { relogin });
      }
      if (values.json) printJson({ serverUrl, logins, ...done });
      return done.isError ? 1 : 0;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
