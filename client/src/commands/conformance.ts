import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCommandLine, parseSeconds, printJson, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { withMcpClient } from '../connect.ts';
import { CliError, InsufficientScopeError } from '../errors.ts';
import { logInThroughLoopback } from '../login-flow.ts';
import { CredentialStore } from '../store.ts';
import { callTool } from '../tool-result.ts';
import { checkClientMetadataUrl } from './login.ts';

/**
 * The client ID metadata document URL the conformance suite's authorization server accepts without fetching
 * it (its basic-cimd scenario expects exactly this client_id).
 */
const SUITE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/** A login for a 403 insufficient_scope counts too: at most this many authorization requests per run. */
const MAX_LOGINS = 3;

const usage = `Usage: mcp-auth conformance <mcp-url> [options]

Client role for the MCP conformance suite (not for everyday use): logs in without a browser (the
suite's authorization server approves at once; its redirect is followed with plain HTTP to the
loopback listener), lists the tools and calls the first one; a 403 insufficient_scope leads to one
more login with the scopes the server names. Credentials live in a temporary folder.
Reads MCP_CONFORMANCE_CONTEXT for pre-registered client credentials.

Options:
  --client-metadata-url <url>  client ID metadata document URL (default: the suite's)
  --timeout <seconds>          per login (default 20)
  --json                       print what was done as JSON
  -h, --help                   show this help
`;

const contextSchema = z.looseObject({
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});

/** Pre-registered credentials handed over by the suite (auth/pre-registration): stored as the registration. */
async function seedPreRegisteredClient(store: CredentialStore, serverUrl: string): Promise<void> {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  if (!raw) return;
  const context = contextSchema.safeParse(JSON.parse(raw));
  if (!context.success || !context.data.client_id) return;
  const { client_id, client_secret } = context.data;
  await store.update(serverUrl, (current) => ({
    ...current,
    clientInformation: { client_id, ...(client_secret ? { client_secret } : {}) },
  }));
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
  summary: 'client role for the MCP conformance suite',
  usage,
  hidden: true,
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
      await seedPreRegisteredClient(store, serverUrl);
      let scope: string | undefined;
      for (let logins = 1; ; logins++) {
        const tokens = await logInThroughLoopback({
          store,
          serverUrl,
          scope,
          clientMetadataUrl,
          timeoutMs,
          onAuthorizationUrl: followWithoutBrowser,
        });
        process.stderr.write(`logged in to ${serverUrl} (scope ${tokens.scope ?? 'not stated'})\n`);
        try {
          const done = await withMcpClient(serverUrl, store, async (client) => {
            const { tools } = await client.listTools();
            const first = tools[0];
            const result = first ? await callTool(client, first.name, {}) : undefined;
            return {
              tools: tools.map((t) => t.name),
              called: first?.name,
              isError: result?.isError ?? false,
            };
          });
          if (values.json) printJson({ serverUrl, logins, ...done });
          return done.isError ? 1 : 0;
        } catch (error) {
          if (!(error instanceof InsufficientScopeError) || logins >= MAX_LOGINS) throw error;
          // Step-up: the same login again, with the scopes the server named (RFC 6750 §3.1).
          process.stderr.write(`${error.message}\n`);
          scope = error.suggestedScope;
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
