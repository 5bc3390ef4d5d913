import { parseCommandLine, printJson, printLine, serverUrlArgument, takePositionals } from '../args.ts';
import type { Command } from '../args.ts';
import { withFileLock } from '../lock.ts';
import { refreshLockFile } from '../refresh.ts';
import { revokeStoredTokens, type ServerRevocation } from '../revoke.ts';
import { CredentialStore } from '../store.ts';

const usage = `Usage: mcp-auth logout <mcp-url> [options]

Log out of an MCP server: revoke the refresh token at the authorization server's revocation
endpoint (RFC 7009), which ends the whole grant, and the access token; then delete the tokens
stored here. The client registration is kept, so the next login does not register again.

When the server cannot revoke them (it has no revocation endpoint, cannot be reached, or answers
with an error), the tokens are deleted here all the same, with a warning: they then stay valid at
the server until they expire.

Exit status: 0 when the server revoked the tokens (or has no revocation endpoint: a warning says so);
1 when revocation failed (server unreachable or an error); the local tokens are deleted either way.

Options:
  --forget     also delete the client registration and everything else stored for the server
  --json       print what was done as JSON
  -h, --help   show this help
`;

/** What the user must know about tokens the server did not revoke (they stay valid until they expire). */
export function revocationWarnings(revocation: ServerRevocation): string[] {
  const { target } = revocation;
  const stayValid = 'they stay valid at the server until they expire';
  if (target.kind === 'no-endpoint') {
    return [`${target.issuer ?? 'the authorization server'} has no revocation endpoint: ${stayValid}`];
  }
  if (target.kind === 'unreachable') return [`the tokens were not revoked (${target.reason}): ${stayValid}`];
  const { refreshToken, accessToken } = revocation;
  if (
    refreshToken.status === 'failed' &&
    accessToken.status === 'failed' &&
    refreshToken.reason === accessToken.reason
  ) {
    return [`the tokens were not revoked (${refreshToken.reason}): ${stayValid}`];
  }
  const warnings: string[] = [];
  if (refreshToken.status === 'failed') {
    warnings.push(
      `the refresh token was not revoked (${refreshToken.reason}): it stays valid until it expires`,
    );
  }
  // A server that cannot revoke access tokens alone (unsupported_token_type) has invalidated them with
  // the refresh token's grant (RFC 7009 §2.1), so that is only news when no refresh token was revoked.
  if (
    accessToken.status === 'failed' ||
    (accessToken.status === 'unsupported' && refreshToken.status !== 'revoked')
  ) {
    warnings.push(
      `the access token was not revoked (${accessToken.reason}): it stays valid until it expires`,
    );
  }
  return warnings;
}

/** Exit status 1 when the server should have revoked a token and did not. */
export const revocationFailed = (revocation: ServerRevocation): boolean =>
  revocation.refreshToken.status === 'failed' || revocation.accessToken.status === 'failed';

export const logout: Command = {
  name: 'logout',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine('logout', argv, { forget: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const [rawUrl] = takePositionals('logout', positionals, ['<mcp-url>']);
    const serverUrl = serverUrlArgument('logout', rawUrl);
    const forget = Boolean(values.forget);
    const store = CredentialStore.fromEnv();

    // Under the refresh lock: a refresh in another process must not store a new token after it is revoked.
    const { record, revocation } = await withFileLock(refreshLockFile(store, serverUrl), async () => {
      const record = await store.read(serverUrl);
      const revocation = record?.tokens ? await revokeStoredTokens(record) : undefined;
      if (forget) await store.remove(serverUrl);
      else if (record?.tokens) {
        await store.update(serverUrl, (current) =>
          current ? { ...current, tokens: undefined, codeVerifier: undefined } : undefined,
        );
      }
      return { record, revocation };
    });

    const warnings = revocation ? revocationWarnings(revocation) : [];
    const failed = revocation ? revocationFailed(revocation) : false;
    const deleted = forget ? (record ? 'everything' : 'nothing') : record?.tokens ? 'tokens' : 'nothing';

    if (values.json) {
      printJson({
        serverUrl,
        revocationEndpoint: revocation?.target.kind === 'found' ? revocation.target.endpoint : null,
        refreshToken: revocation?.refreshToken ?? { status: 'none' },
        accessToken: revocation?.accessToken ?? { status: 'none' },
        deleted,
        warnings,
      });
    }
    for (const warning of warnings) process.stderr.write(`mcp-auth: warning: ${warning}\n`);
    if (!values.json) {
      if (!record?.tokens) {
        printLine(
          `Not logged in to ${serverUrl}${forget && record ? '; deleted its client registration' : ''}.`,
        );
      } else {
        const revoked = warnings.length === 0 ? 'tokens revoked at the server, ' : '';
        const local = forget ? 'everything deleted here' : 'tokens deleted here (client registration kept)';
        printLine(`Logged out of ${serverUrl}: ${revoked}${local}.`);
      }
    }
    return failed ? 1 : 0;
  },
};
