import { OAuthError } from '@mcp-auth/core';

/** For tests: the OAuthError `fn` throws, or undefined when it does not throw. */
export function thrownOAuthError(fn: () => unknown): OAuthError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return err;
    throw err;
  }
  return undefined;
}

/** Its error code (`invalid_client_metadata`, ...). */
export const oauthErrorOf = (fn: () => unknown): string | undefined => thrownOAuthError(fn)?.error;

/** The OAuthError `fn` must throw; fails the test when it throws none. */
export function failureOf(fn: () => unknown): OAuthError {
  const e = thrownOAuthError(fn);
  if (!e) throw new Error('expected an OAuthError');
  return e;
}
