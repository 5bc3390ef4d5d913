import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthTokensSchema } from '@modelcontextprotocol/sdk/shared/auth.js';
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
  // A machine login (client_credentials) has no refresh token: it asks for a new token instead.
  const renewable = (tokens: StoredTokens) =>
    tokens.refresh_token !== undefined || provider.renewsWithoutRefreshToken;
  const due = (tokens: StoredTokens | undefined) =>
    tokens !== undefined && renewable(tokens) && accessTokenExpiring(tokens, now());
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

/** The refresh token a token request spends, when it is a refresh (the SDK sends a form body). */
export const refreshTokenIn = (init?: RequestInit): string | undefined =>
  init?.body instanceof URLSearchParams && init.body.get('grant_type') === 'refresh_token'
    ? (init.body.get('refresh_token') ?? undefined)
    : undefined;

/** A refresh holds the lock of its server while it waits for the answer; it must not hold it for ever. */
export const REFRESH_TIMEOUT_MS = 15_000;

/**
 * The fetch the SDK refreshes with, before connecting and after a 401 alike: every refresh runs under the
 * server's refresh lock, and there looks at the store again. When another mcp-auth process has rotated
 * the refresh token meanwhile, the one in the request is spent, and sending it would make the server
 * revoke the whole grant: the SDK gets the other process's tokens instead, as if the server had answered.
 * Otherwise the request goes out, and its tokens are saved before the lock is let go (the SDK would save
 * them only after, when a process waiting for the lock would already have read the spent token).
 */
export function serializeRefreshes(
  store: CredentialStore,
  provider: StoreOAuthProvider,
  baseFetch: FetchLike = fetch,
  now: () => number = Date.now,
): FetchLike {
  const { serverUrl } = provider;
  return async (input, init) => {
    const spent = refreshTokenIn(init);
    if (spent === undefined) return baseFetch(input, init);
    return withFileLock(refreshLockFile(store, serverUrl), async () => {
      const stored = (await store.read(serverUrl))?.tokens;
      if (stored?.refresh_token !== spent) return answerFromStore(provider, stored, now());
      const timeout = AbortSignal.timeout(REFRESH_TIMEOUT_MS);
      const response = await baseFetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
      });
      if (response.ok) {
        const body = OAuthTokensSchema.safeParse(
          await response
            .clone()
            .json()
            .catch(() => undefined),
        );
        // Not saved when malformed: the SDK reads the same body and reports it.
        if (body.success) {
          await provider.saveTokens({
            ...body.data,
            // As the SDK does: a server that does not rotate leaves the refresh token as it was.
            refresh_token: body.data.refresh_token ?? spent,
            issuer: stored.issuer,
          });
        }
      }
      return response;
    });
  };
}

/**
 * The token response another process's refresh would have given: its stored tokens, with the lifetime
 * they have left. With nothing stored the login ended meanwhile (logout, or a refused refresh), and the
 * answer is the server's for a spent token, so that the SDK drops the tokens and reports it.
 */
function answerFromStore(
  provider: StoreOAuthProvider,
  stored: StoredTokens | undefined,
  nowMs: number,
): Response {
  if (!stored) {
    return Response.json(
      {
        error: 'invalid_grant',
        error_description: 'the login ended while this command waited to refresh it',
      },
      { status: 400 },
    );
  }
  provider.adoptStoredTokens(stored);
  const { access_token, token_type, refresh_token, scope, expires_at } = stored;
  return Response.json({
    access_token,
    token_type,
    ...(expires_at !== undefined ? { expires_in: Math.max(0, expires_at - Math.floor(nowMs / 1000)) } : {}),
    ...(refresh_token !== undefined ? { refresh_token } : {}),
    ...(scope !== undefined ? { scope } : {}),
  });
}

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
  return {
    failure: () => failure,
    fetch: async (input, init) => {
      if (refreshTokenIn(init) === undefined) return baseFetch(input, init);
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
