import { presentAuthorizationUrl } from './browser.ts';
import type { SessionExpiredError } from './errors.ts';
import { logInThroughLoopback } from './login-flow.ts';
import type { CredentialStore } from './store.ts';

/** As long as `mcp-auth login` waits for the browser by default. */
export const LOGIN_TIMEOUT_SECONDS = 300;

export interface Terminal {
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
}

const processTerminal = (): Terminal => ({
  stdinIsTTY: Boolean(process.stdin.isTTY),
  stderrIsTTY: Boolean(process.stderr.isTTY),
});

/**
 * What to do when a command finds its session expired: with a person at the terminal (stdin and stderr
 * are terminals) and output meant for people (not --json), log in again through the browser with the
 * scope the session had, so the command can go on. Scripts, pipes and CI get undefined: the command
 * fails with "Session expired" instead of waiting for a browser nobody will open.
 */
export function reloginWhenInteractive(
  store: CredentialStore,
  serverUrl: string,
  json: boolean,
  terminal: Terminal = processTerminal(),
): ((expired: SessionExpiredError) => Promise<void>) | undefined {
  if (json || !terminal.stdinIsTTY || !terminal.stderrIsTTY) return undefined;
  return async (expired) => {
    process.stderr.write(`${expired.message.replace(/: run .*$/, '')}; logging in to ${serverUrl} again.\n`);
    await logInThroughLoopback({
      store,
      serverUrl,
      scope: expired.scope,
      timeoutMs: LOGIN_TIMEOUT_SECONDS * 1000,
      onAuthorizationUrl: (url) => presentAuthorizationUrl(url, serverUrl, true),
    });
  };
}
