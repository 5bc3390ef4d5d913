import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { withFileLock } from './lock.ts';
import type { StoreOAuthProvider } from './provider.ts';
import type { CredentialStore, StoredTokens } from './store.ts';

/**
 * True when the access token has expired or is about to: within a tenth of its lifetime, at most 30 s, of
 * its stored expiry, so that a token is not sent only to expire on the way.
 */
export function accessTokenExpiring(tokens: StoredTokens, nowMs: number): boolean {
  if (tokens.expires_at === undefined) return false;
  const margin = Math.min(30, (tokens.expires_in ?? 0) / 10);
  return nowMs / 1000 >= tokens.expires_at - margin;
}

/**
 * Refreshes the stored access token before it is used when its stored expiry has passed (the server's 401
 * would lead to the same refresh, one round trip later). Runs under a per-server lock and looks at the
 * tokens again once it holds it: another mcp-auth process may have refreshed meanwhile, and then its new
 * refresh token is the only live one (ours was rotated; using it again would revoke the grant).
 * Returns true when it refreshed.
 */
export async function refreshIfExpiring(
  store: CredentialStore,
  provider: StoreOAuthProvider,
  options: { fetchFn?: FetchLike; now?: () => number } = {},
): Promise<boolean> {
  const now = options.now ?? Date.now;
  const { serverUrl } = provider;
  const due = (tokens: StoredTokens | undefined) =>
    tokens?.refresh_token !== undefined && accessTokenExpiring(tokens, now());
  if (!due((await store.read(serverUrl))?.tokens)) return false;
  return withFileLock(refreshLockFile(store, serverUrl), async () => {
    if (!due((await store.read(serverUrl))?.tokens)) return false;
    // With tokens stored and no code, auth() refreshes (and saves the rotated refresh token through the
    // provider); on invalid_grant it drops the tokens and, the provider being non-interactive, throws
    // SessionExpiredError instead of starting a login.
    await auth(provider, { serverUrl, fetchFn: options.fetchFn });
    return true;
  });
}

/** Serialises refreshes and logout of one server across mcp-auth processes. */
export const refreshLockFile = (store: CredentialStore, serverUrl: string): string =>
  `${store.fileFor(serverUrl)}.lock`;

/**
 * The SDK treats a refresh that fails with a network error or a 5xx like no refresh token at all and
 * moves on to a new authorization, which a non-interactive command reports as "not logged in". This
 * wrapper remembers such a failure so that the user is told what really happened.
 */
export function watchRefreshFailures(baseFetch: FetchLike = fetch): {
  fetch: FetchLike;
  failure(): string | undefined;
} {
  let failure: string | undefined;
  const isRefresh = (init?: RequestInit) =>
    init?.body instanceof URLSearchParams && init.body.get('grant_type') === 'refresh_token';
  return {
    failure: () => failure,
    fetch: async (input, init) => {
      if (!isRefresh(init)) return baseFetch(input, init);
      try {
        const response = await baseFetch(input, init);
        if (response.status >= 500) failure = `the authorization server answered HTTP ${response.status}`;
        return response;
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        failure = `cannot reach the authorization server: ${cause ?? (error as Error).message}`;
        throw error;
      }
    },
  };
}
