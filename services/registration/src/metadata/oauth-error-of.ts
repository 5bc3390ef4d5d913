import { OAuthError } from '@mcp-auth/core';

/** For tests: the OAuth error code `fn` throws, or undefined when it does not throw. */
export function oauthErrorOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuthError) return err.error;
    throw err;
  }
  return undefined;
}
