import type { Request, Response } from 'express';
import type { AuthzConfig } from '../config.ts';
import { oauthCookiePath, readCookie } from '../cookies.ts';

/**
 * The browser that started an authorization request holds this cookie; the request row holds its
 * hash. Login and consent refuse a browser without it, so an attacker cannot start a flow and
 * have someone else's browser finish it (RFC 9700 §4.7, login CSRF).
 */
export const FLOW_COOKIE = 'mcp_auth_flow';

const options = (config: AuthzConfig) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: config.secureCookies,
  path: oauthCookiePath(config.issuer),
});

export function setBindingCookie(res: Response, value: string, config: AuthzConfig): void {
  res.cookie(FLOW_COOKIE, value, { ...options(config), maxAge: config.authRequestTtl * 1000 });
}

/** After a sign-out: sign-ins in progress in this browser cannot be finished any more. */
export function clearBindingCookie(res: Response, config: AuthzConfig): void {
  res.clearCookie(FLOW_COOKIE, options(config));
}

/** The binding value from the Cookie header, if there is one usable. */
export const readBindingCookie = (req: Request): string | undefined => readCookie(req, FLOW_COOKIE);
