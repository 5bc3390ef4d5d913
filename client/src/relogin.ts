import { presentAuthorizationUrl } from './browser.ts';
import type { Reauthorization } from './connect.ts';
import { InsufficientScopeError } from './errors.ts';
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

/** The error's message without its advice to run `mcp-auth login`: here the CLI does it itself. */
const withoutAdvice = (message: string): string => message.replace(/: run `.*$|; run `.*$/, '');

/**
 * What a command does when it must be authorized again (see withMcpClient):
 * - a machine login (client_credentials) asks the token endpoint again, in scripts too, as there is
 *   nobody to ask: with the union of its scope and the one the server names on a step-up;
 * - a person's login, with the person at the terminal (stdin and stderr are terminals) and output meant
 *   for people (not --json), goes through the browser again: with the scope the expired session had, or
 *   for a step-up with the union of the scopes held and the ones the server names (SEP-2350), so that
 *   nothing granted before is lost. With the server's remembered sign-in that is one consent click;
 * - anything else (scripts, pipes, CI, --json) gets the reason back: the command fails with its message,
 *   which names the `mcp-auth login` to run, instead of waiting for a browser nobody will open.
 */
export function reauthorizer(
  store: CredentialStore,
  serverUrl: string,
  json: boolean,
  terminal: Terminal = processTerminal(),
): (reason: Reauthorization) => Promise<void> {
  const person = !json && terminal.stdinIsTTY && terminal.stderrIsTTY;
  return async (reason) => {
    const stepUp = reason instanceof InsufficientScopeError;
    const machine = (await store.read(serverUrl))?.machine;
    if (machine) {
      if (!stepUp) throw reason;
      const { logInAsMachine } = await import('./machine.ts');
      await logInAsMachine({ store, serverUrl, machine: { ...machine, scope: reason.suggestedScope } });
      return;
    }
    if (!person) throw reason;
    const scope = stepUp ? reason.suggestedScope : reason.scope;
    const next = stepUp
      ? `authorizing again with scope "${scope ?? ''}"`
      : `logging in to ${serverUrl} again`;
    process.stderr.write(`${withoutAdvice(reason.message)}; ${next}.\n`);
    await logInThroughLoopback({
      store,
      serverUrl,
      scope,
      timeoutMs: LOGIN_TIMEOUT_SECONDS * 1000,
      onAuthorizationUrl: (url) => presentAuthorizationUrl(url, serverUrl, true),
    });
  };
}
