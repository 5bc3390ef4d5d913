import type { Request } from 'express';

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
