import type { Request, Response } from 'express';
import type { AuthzConfig } from '../config.ts';

/**
 * The browser that started an authorization request holds this cookie; the request row holds its
 * hash. Login and consent refuse a browser without it, so an attacker cannot start a flow and
 * have someone else's browser finish it (RFC 9700 §4.7, login CSRF).
 */
export const FLOW_COOKIE = 'mcp_auth_flow';

/** `/oauth` under the issuer's path, so the cookie also works when the issuer has a path prefix. */
const cookiePath = (issuer: string) => `${new URL(issuer).pathname.replace(/\/+$/, '')}/oauth`;

export function setBindingCookie(res: Response, value: string, config: AuthzConfig): void {
  res.cookie(FLOW_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: cookiePath(config.issuer),
    maxAge: config.authRequestTtl * 1000,
  });
}

/** The binding value from the Cookie header, if there is exactly one usable. */
export function readBindingCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== FLOW_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
