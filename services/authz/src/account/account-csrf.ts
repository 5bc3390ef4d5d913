import type { Request, Response } from 'express';
import { randomToken, safeEqual } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import { cookieBoundToken, oauthCookiePath, readCookie } from '../cookies.ts';

/**
 * The connected-apps forms' CSRF tokens. Nothing is stored: each token is derived from a value
 * only this browser holds in an HttpOnly cookie, so only a page we rendered for it knows the token,
 * and SameSite keeps another site's post from carrying the cookie at all.
 */

/** Withdrawing: bound to the sign-in session's cookie value. */
export const withdrawToken = (sessionValue: string) => cookieBoundToken('account', sessionValue);

/**
 * Signing in from the connected-apps page (there is no session yet, and no authorization request
 * to bind to): a double-submit cookie, so another site cannot sign a browser into its own account
 * (login CSRF).
 */
const SIGN_IN_COOKIE = 'mcp_auth_account_sign_in';
const signInToken = (cookieValue: string) => cookieBoundToken('account sign-in', cookieValue);

const options = (config: AuthzConfig) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: config.secureCookies,
  path: oauthCookiePath(config.issuer),
});

/** The token for the sign-in form, setting the cookie it is derived from when there is none. */
export function signInCsrfToken(req: Request, res: Response, config: AuthzConfig): string {
  let value = readCookie(req, SIGN_IN_COOKIE);
  // A value of ours is 43 characters; anything else is replaced rather than trusted.
  if (!value || value.length !== 43) {
    value = randomToken();
    res.cookie(SIGN_IN_COOKIE, value, { ...options(config), maxAge: config.authRequestTtl * 1000 });
  }
  return signInToken(value);
}

export function signInCsrfValid(req: Request, token: string | undefined): boolean {
  const value = readCookie(req, SIGN_IN_COOKIE);
  return !!value && !!token && safeEqual(token, signInToken(value));
}

export function clearSignInCookie(res: Response, config: AuthzConfig): void {
  res.clearCookie(SIGN_IN_COOKIE, options(config));
}
