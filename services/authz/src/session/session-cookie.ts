import type { CookieOptions, Request, Response } from 'express';
import type { AuthzConfig } from '../config.ts';
import { oauthCookiePath, readCookie } from '../cookies.ts';

/**
 * The remembered sign-in's cookie. On https it is `__Host-` prefixed, so the browser accepts it only
 * with Secure, no Domain and `Path=/`: a sibling subdomain cannot plant or overwrite it (cookie
 * tossing). Over plain http (loopback development) the prefix is not allowed, and the cookie is
 * scoped to `/oauth` instead. HttpOnly: no script reads it; SameSite=Lax: another site's form post
 * or frame does not carry it.
 */
export const sessionCookieName = (config: Pick<AuthzConfig, 'secureCookies'>) =>
  config.secureCookies ? '__Host-mcp_auth_session' : 'mcp_auth_session';

function options(config: Pick<AuthzConfig, 'secureCookies' | 'issuer'>): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: config.secureCookies ? '/' : oauthCookiePath(config.issuer),
  };
}

/** Persistent until the session's absolute end, so the sign-in survives a browser restart. */
export function setSessionCookie(res: Response, value: string, expires: Date, config: AuthzConfig): void {
  res.cookie(sessionCookieName(config), value, { ...options(config), expires });
}

export function clearSessionCookie(res: Response, config: AuthzConfig): void {
  res.clearCookie(sessionCookieName(config), options(config));
}

export const readSessionCookie = (req: Request, config: AuthzConfig): string | undefined =>
  readCookie(req, sessionCookieName(config));
