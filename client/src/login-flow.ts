import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { CliError } from './errors.ts';
import { startLoopbackListener } from './loopback.ts';
import { StoreOAuthProvider } from './provider.ts';
import type { CredentialStore, StoredTokens } from './store.ts';
import { CLIENT_VERSION } from './version.ts';

/** What the server's 401 says about how to authorize (RFC 9728 §5.1, RFC 6750 §3). */
export interface Challenge {
  resourceMetadataUrl?: URL;
  scope?: string;
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Sends an unauthenticated MCP `initialize` to learn the resource metadata URL and the scope from the
 * server's 401 (the MCP authorization spec's discovery starting point). A server may let `initialize`
 * through and ask for authorization only from the first real request on: then `tools/list` is asked in
 * the session it opened, and its 401 read instead. A server that answers neither with a 401 leaves the
 * SDK to the well-known RFC 9728 locations and their `scopes_supported`.
 */
export async function probeChallenge(serverUrl: string, fetchFn: typeof fetch = fetch): Promise<Challenge> {
  const response = await fetchFn(serverUrl, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'mcp-auth', version: CLIENT_VERSION },
      },
    }),
  });
  await response.body?.cancel();
  if (response.status === 401) return challengeOf(response);
  if (!response.ok) return {};
  const sessionId = response.headers.get('mcp-session-id');
  const session: Record<string, string> = sessionId ? { 'mcp-session-id': sessionId } : {};
  try {
    const listed = await fetchFn(serverUrl, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    await listed.body?.cancel();
    return listed.status === 401 ? challengeOf(listed) : {};
  } finally {
    // The server opened a session for a probe: close it again (best effort, it expires anyway).
    if (sessionId) {
      await fetchFn(serverUrl, { method: 'DELETE', headers: session })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    }
  }
}

function challengeOf(response: Response): Challenge {
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
  return { resourceMetadataUrl, scope };
}

export interface LoginOptions {
  /** Scope the user asked for; wins over the scope in the server's challenge (which wins over its metadata). */
  scope?: string;
  /** Resolves with the authorization code once the provider's authorization URL has been followed. */
  awaitCode: () => Promise<string>;
  fetchFn?: typeof fetch;
}

/**
 * One complete login with the SDK's `auth()`: discovery (RFC 9728 → RFC 8414), registration when nothing
 * is stored (DCR, or a CIMD URL), PKCE, the authorization request through the provider's
 * `onAuthorizationUrl`, then the code exchange. Returns the tokens as stored.
 */
export async function logIn(provider: StoreOAuthProvider, options: LoginOptions): Promise<StoredTokens> {
  const serverUrl = provider.serverUrl;
  const challenge = await probeChallenge(serverUrl, options.fetchFn);
  const request = {
    serverUrl,
    scope: options.scope ?? challenge.scope,
    resourceMetadataUrl: challenge.resourceMetadataUrl,
    fetchFn: options.fetchFn,
  };
  const result = await auth(provider, request);
  if (result === 'REDIRECT') {
    const authorizationCode = await options.awaitCode();
    await auth(provider, { ...request, authorizationCode });
  }
  const tokens = await provider.storedTokens();
  if (!tokens) throw new CliError(`the authorization server of ${serverUrl} issued no tokens`);
  return tokens;
}

export interface LoopbackLoginOptions {
  store: CredentialStore;
  serverUrl: string;
  scope?: string;
  clientMetadataUrl?: string;
  timeoutMs: number;
  /** Sends the user (or, in the conformance driver, a plain HTTP client) to the authorization URL. */
  onAuthorizationUrl: (url: URL, redirectUri: string) => Promise<void> | void;
}

/**
 * A login whose authorization response comes back to a loopback listener (RFC 8252 §7.3) on a fresh port.
 * The registration keeps the redirect URI of the first login; the authorization server matches loopback
 * redirect URIs without the port, so it stays valid.
 */
export async function logInThroughLoopback(options: LoopbackLoginOptions): Promise<StoredTokens> {
  // A person's login replaces a machine login (client_credentials) and its client id for this server.
  await options.store.update(options.serverUrl, (current) => (current?.machine ? {} : current));
  let provider: StoreOAuthProvider | undefined;
  const listener = await startLoopbackListener({
    timeoutMs: options.timeoutMs,
    expect: () => provider?.authorizationExpectation(),
  });
  try {
    provider = new StoreOAuthProvider(options.store, options.serverUrl, {
      redirectUrl: listener.redirectUri,
      scope: options.scope,
      clientMetadataUrl: options.clientMetadataUrl,
      fresh: true,
      onAuthorizationUrl: (url) => options.onAuthorizationUrl(url, listener.redirectUri),
    });
    return await logIn(provider, { scope: options.scope, awaitCode: () => listener.waitForCode() });
  } finally {
    await listener.close();
  }
}
