import type { Request } from 'express';
import { sha256 } from '@mcp-auth/core';

/** `/oauth` under the issuer's path, so cookies also work when the issuer has a path prefix. */
export const oauthCookiePath = (issuer: string) => `${new URL(issuer).pathname.replace(/\/+$/, '')}/oauth`;

/**
 * The value of the cookie `name` from the Cookie header (the first one sent, which is the one with
 * the longest path), or undefined when absent or not decodable.
 */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * A form's CSRF token derived from a cookie value only this browser holds (HttpOnly): nothing is
 * stored, only a page we rendered for this browser knows it, and `purpose` keeps the token of one
 * form from being accepted by another.
 */
export const cookieBoundToken = (purpose: string, cookieValue: string) =>
  sha256(`mcp-auth ${purpose}\u0000${cookieValue}`);
