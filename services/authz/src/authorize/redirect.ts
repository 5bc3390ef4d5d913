import type { Response } from 'express';
import type { OAuthError } from '@mcp-auth/core';
import { flowHeaders } from '../pages/send-page.ts';

/**
 * The redirect URI with our response parameters added; a query the client registered is kept
 * (RFC 6749 §3.1.2). `iss` is always there (RFC 9207) so a client talking to several servers can
 * tell which one answered (mix-up defence).
 */
export function authorizationResponseUrl(
  redirectUri: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

/** An error answered at the redirect URI (RFC 6749 §4.1.2.1), with `state` and `iss`. */
export function errorResponseUrl(
  redirectUri: string,
  err: Pick<OAuthError, 'error' | 'description'>,
  state: string | null | undefined,
  issuer: string,
): string {
  return authorizationResponseUrl(redirectUri, {
    error: err.error,
    error_description: err.description,
    state: state ?? undefined,
    iss: issuer,
  });
}

/** 303 so the browser follows with GET even after a form post (OAuth 2.1 §7.5.2 rules out 307). */
export function redirectTo(res: Response, url: string): void {
  flowHeaders(res);
  res.redirect(303, url);
}
