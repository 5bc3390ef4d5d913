import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { extractWWWAuthenticateParams, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CliError,
  InsufficientScopeError,
  NotLoggedInError,
  RefreshFailedError,
  SessionExpiredError,
} from './errors.ts';
import { StoreOAuthProvider } from './provider.ts';
import { refreshIfExpiring, serializeRefreshes, watchRefreshFailures } from './refresh.ts';
import type { CredentialStore } from './store.ts';
import { CLIENT_VERSION } from './version.ts';

const sameEndpoint = (a: URL, b: URL): boolean => a.origin === b.origin && a.pathname === b.pathname;

/**
 * Stops at the MCP server's 403 insufficient_scope. Left to itself the transport would run `auth()` again,
 * which without a new interactive login can only refresh the token with the same scopes and fail the same
 * way; the user is better served by being told which scopes to log in with.
 */
export function refuseInsufficientScope(
  serverUrl: URL,
  grantedScope: () => Promise<string | undefined>,
  baseFetch: FetchLike = fetch,
): FetchLike {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (response.status === 403 && sameEndpoint(new URL(String(input)), serverUrl)) {
      const { error, scope } = extractWWWAuthenticateParams(response);
      if (error === 'insufficient_scope') {
        await response.body?.cancel();
        throw new InsufficientScopeError(serverUrl.href, scope, await grantedScope());
      }
    }
    return response;
  };
}

/**
 * Turns what the SDK throws for a missing or rejected login into the CLI's messages. `refreshFailure` is
 * why a refresh failed for a reason other than the grant (see watchRefreshFailures): then the login is
 * not lost, and saying "not logged in" would send the user to log in for nothing.
 */
export function explainConnectionError(error: unknown, serverUrl: string, refreshFailure?: string): unknown {
  if (refreshFailure && error instanceof NotLoggedInError && !(error instanceof SessionExpiredError)) {
    return new RefreshFailedError(serverUrl, refreshFailure);
  }
  if (error instanceof CliError) return error;
  if (error instanceof UnauthorizedError) return new NotLoggedInError(serverUrl);
  if (error instanceof StreamableHTTPError) {
    if (error.code === 401) return new NotLoggedInError(serverUrl);
    if (error.code === 403) return new CliError(`${serverUrl} refused access (HTTP 403): ${error.message}`);
  }
  return error;
}

/** Why a command has to be authorized again before it can go on. */
export type Reauthorization = SessionExpiredError | InsufficientScopeError;

export interface ConnectOptions {
  /**
   * Authorizes again: after the refresh token was refused (SessionExpiredError), or after a 403
   * insufficient_scope (InsufficientScopeError: step-up, SEP-2350). It throws the reason back when it
   * cannot act (no person at a terminal, see reauthorizer); otherwise the command is run once more.
   */
  relogin?: (reason: Reauthorization) => Promise<void>;
}

/**
 * Connects to the MCP server with the stored login and runs `use`. The access token is refreshed first
 * when its stored expiry has passed, and the SDK refreshes it on a 401; a refused refresh token drops the
 * stored tokens and ends in SessionExpiredError. Either that or a 403 insufficient_scope may be answered
 * by `options.relogin`, once: a server that still refuses after it is reported as it is, so a server that
 * keeps asking for more is not followed for ever. Nothing here starts a login on its own.
 */
export async function withMcpClient<T>(
  serverUrl: string,
  store: CredentialStore,
  use: (client: Client) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  try {
    return await connectAndUse(serverUrl, store, use);
  } catch (error) {
    const reauthorize = error instanceof SessionExpiredError || error instanceof InsufficientScopeError;
    if (!reauthorize || !options.relogin) throw error;
    // Running the command again is safe: the request that failed never reached a tool (a 401 is answered
    // before the body is looked at, and a 403 insufficient_scope before the tool runs).
    await options.relogin(error);
    return connectAndUse(serverUrl, store, use);
  }
}

/** The provider for what is stored: a machine login's (client_credentials), or a person's. */
async function providerFor(serverUrl: string, store: CredentialStore): Promise<StoreOAuthProvider> {
  const machine = (await store.read(serverUrl))?.machine;
  if (!machine) return new StoreOAuthProvider(store, serverUrl);
  // Loaded only for machine logins: it brings the SDK's client-assertion signer.
  const { MachineOAuthProvider } = await import('./machine.ts');
  return new MachineOAuthProvider(store, serverUrl, machine);
}

async function connectAndUse<T>(
  serverUrl: string,
  store: CredentialStore,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const url = new URL(serverUrl);
  const provider = await providerFor(serverUrl, store);
  const refreshes = watchRefreshFailures();
  const refreshFetch = serializeRefreshes(store, provider, refreshes.fetch);
  const transport = new StreamableHTTPClientTransport(url, {
    authProvider: provider,
    // The transport hands its fetch to the SDK's auth(), so refreshes after a 401 are locked and watched too.
    fetch: refuseInsufficientScope(
      url,
      async () => (await store.read(serverUrl))?.tokens?.scope,
      refreshFetch,
    ),
  });
  const client = new Client({ name: 'mcp-auth', version: CLIENT_VERSION });
  try {
    await refreshIfExpiring(store, provider, { fetchFn: refreshFetch });
    await client.connect(transport);
    return await use(client);
  } catch (error) {
    throw explainConnectionError(error, serverUrl, refreshes.failure());
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}
