import { parseCommandLine, printJson, printLine, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { CredentialStore, type ServerRecord } from '../store.ts';

const usage = `Usage: mcp-auth status [mcp-url] [options]

List the MCP servers this client holds credentials for (or only the one given): the authorization
server (issuer), the client ID, the granted scopes, when the access token expires, and whether a
refresh token is stored (then an expired access token is renewed without a new login).

Options:
  --json       print the list as JSON
  -h, --help   show this help
`;

export interface ServerStatus {
  serverUrl: string;
  issuer: string | null;
  clientId: string | null;
  loggedIn: boolean;
  scope: string | null;
  /** ISO 8601; null when no access token is stored or the server gave no lifetime. */
  expiresAt: string | null;
  /** Seconds until the access token expires; negative once it has. */
  expiresIn: number | null;
  refreshable: boolean;
}

export function statusOf(record: ServerRecord, nowMs: number): ServerStatus {
  const { tokens, clientInformation, discoveryState } = record;
  const issuer =
    discoveryState?.authorizationServerMetadata?.issuer ??
    discoveryState?.authorizationServerUrl ??
    (tokens as { issuer?: string } | undefined)?.issuer ??
    null;
  const expiresAt = tokens?.expires_at;
  return {
    serverUrl: record.serverUrl,
    issuer,
    clientId: clientInformation?.client_id ?? null,
    loggedIn: tokens !== undefined,
    scope: tokens?.scope ?? null,
    expiresAt: expiresAt === undefined ? null : new Date(expiresAt * 1000).toISOString(),
    expiresIn: expiresAt === undefined ? null : expiresAt - Math.floor(nowMs / 1000),
    refreshable: Boolean(tokens?.refresh_token),
  };
}

/** 3725 → "1h 2m", 95 → "1m 35s", 3 days and more → "3d 4h": two units are enough to read. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.abs(Math.round(totalSeconds));
  const units: [string, number][] = [
    ['d', Math.floor(s / 86_400)],
    ['h', Math.floor((s % 86_400) / 3600)],
    ['m', Math.floor((s % 3600) / 60)],
    ['s', s % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first < 0) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join(' ');
}

function accessTokenLine(status: ServerStatus): string {
  if (!status.loggedIn) return 'none (logged out)';
  if (status.expiresIn === null || status.expiresAt === null) return 'stored, no expiry given';
  return status.expiresIn > 0
    ? `expires in ${formatDuration(status.expiresIn)} (${status.expiresAt})`
    : `expired ${formatDuration(status.expiresIn)} ago (${status.expiresAt})`;
}

function printStatus(status: ServerStatus): void {
  const rows: [string, string][] = [
    ['issuer', status.issuer ?? 'unknown'],
    ['client id', status.clientId ?? 'none'],
    ['scopes', status.scope ?? (status.loggedIn ? 'not stated' : '-')],
    ['access token', accessTokenLine(status)],
    ['refresh token', status.refreshable ? 'yes' : 'no'],
  ];
  printLine(status.serverUrl);
  for (const [name, value] of rows) printLine(`  ${name.padEnd(15)}${value}`);
}

export const status: Command = {
  name: 'status',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('status', argv, {});
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('status', positionals, [], ['[mcp-url]']);
    const store = CredentialStore.fromEnv();
    let records: ServerRecord[];
    if (rawUrl === undefined) {
      records = (await store.list()).sort((a, b) => a.serverUrl.localeCompare(b.serverUrl));
    } else {
      const record = await store.read(serverUrlArgument('status', rawUrl));
      records = record ? [record] : [];
    }
    const now = Date.now();
    const statuses = records.map((r) => statusOf(r, now));

    if (values.json) {
      printJson({ servers: statuses });
    } else if (statuses.length === 0) {
      printLine(
        rawUrl === undefined
          ? `No stored credentials (in ${store.dir}).`
          : `No stored credentials for ${serverUrlArgument('status', rawUrl)}.`,
      );
    } else {
      statuses.forEach((s, i) => {
        if (i > 0) printLine('');
        printStatus(s);
      });
    }
    return 0;
  },
};
