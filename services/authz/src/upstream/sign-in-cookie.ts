import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AuthzConfig } from '../config.ts';
import { oauthCookiePath, readCookie } from '../cookies.ts';

/**
 * What the callback must check, kept by the browser that went to the provider: the state and
 * nonce sent and the PKCE verifier, plus what the sign-in is for (an authorization request, or the
 * connected-apps page). HttpOnly and SameSite=Lax: the provider's redirect back is a top-level GET,
 * which carries it; no script and no other site's request does. One at a time: a newer sign-in
 * replaces it, and the callback clears it, so an answer is accepted once.
 */
export const UPSTREAM_COOKIE = 'mcp_auth_upstream';

export interface UpstreamSignIn {
  /** The authorization request id; null when signing in to the connected-apps page. */
  request: string | null;
  state: string;
  nonce: string;
  verifier: string;
}

const stored = z.object({
  request: z.string().max(128).nullable(),
  state: z.string().min(1).max(128),
  nonce: z.string().min(1).max(128),
  verifier: z.string().min(43).max(128),
});

const options = (config: AuthzConfig) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: config.secureCookies,
  path: oauthCookiePath(config.issuer),
});

export function setUpstreamCookie(res: Response, value: UpstreamSignIn, config: AuthzConfig): void {
  const encoded = Buffer.from(JSON.stringify(value)).toString('base64url');
  res.cookie(UPSTREAM_COOKIE, encoded, { ...options(config), maxAge: config.authRequestTtl * 1000 });
}

export function readUpstreamCookie(req: Request): UpstreamSignIn | undefined {
  const value = readCookie(req, UPSTREAM_COOKIE);
  if (!value || value.length > 2048) return undefined;
  try {
    const parsed = stored.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function clearUpstreamCookie(res: Response, config: AuthzConfig): void {
  res.clearCookie(UPSTREAM_COOKIE, options(config));
}
