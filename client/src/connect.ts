import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { extractWWWAuthenticateParams, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CliError, InsufficientScopeError, NotLoggedInError } from './errors.ts';
import { StoreOAuthProvider } from './provider.ts';
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

/** Turns what the SDK throws for a missing or rejected login into the CLI's messages. */
export function explainConnectionError(error: unknown, serverUrl: string): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof UnauthorizedError) return new NotLoggedInError(serverUrl);
  if (error instanceof StreamableHTTPError) {
    if (error.code === 401) return new NotLoggedInError(serverUrl);
    if (error.code === 403) return new CliError(`${serverUrl} refused access (HTTP 403): ${error.message}`);
  }
  return error;
}

/**
 * Connects to the MCP server with the stored login and runs `use`. The SDK attaches the bearer token and,
 * on a 401, refreshes it with the refresh token; it never starts a new login here (the provider is
 * non-interactive), so a missing or dead login surfaces as NotLoggedInError.
 */
export async function withMcpClient<T>(
  serverUrl: string,
  store: CredentialStore,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const url = new URL(serverUrl);
  const provider = new StoreOAuthProvider(store, serverUrl);
  const transport = new StreamableHTTPClientTransport(url, {
    authProvider: provider,
    fetch: refuseInsufficientScope(url, async () => (await store.read(serverUrl))?.tokens?.scope),
  });
  const client = new Client({ name: 'mcp-auth', version: CLIENT_VERSION });
  try {
    await client.connect(transport);
    return await use(client);
  } catch (error) {
    throw explainConnectionError(error, serverUrl);
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}
