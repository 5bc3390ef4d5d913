import { OAuthError } from '@mcp-auth/core';

/*
 * The admin surface answers in the same error shape as the OAuth endpoints ({ error,
 * error_description }, rendered by core's oauthErrorHandler), with the HTTP status that says what
 * went wrong; the CLI turns the status into its exit code.
 */
export const notFound = (d: string) => new OAuthError('not_found', d, 404);
export const conflict = (d: string) => new OAuthError('conflict', d, 409);
