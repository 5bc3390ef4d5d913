import { isLoopbackHost } from '@mcp-auth/core';

/**
 * Parses an absolute URI as we will store it: the raw string is what later requests are compared
 * against (exact matching), so anything the WHATWG parser would silently repair — surrounding or
 * embedded whitespace, control characters — is refused rather than normalised.
 */
export function parseAbsoluteUri(value: string): URL | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  if (/[\s\x00-\x1f\x7f]/.test(value)) return undefined;
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Credentials in the authority (`https://user@host/`) make a URI read as another host to a
 * person; checked on the raw string because the parser drops an empty userinfo (`https://@host`).
 */
export function hasUserinfo(raw: string, url: URL): boolean {
  if (url.username || url.password) return true;
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(raw)?.[1];
  return authority?.includes('@') ?? false;
}

/** https anywhere; plain http only where traffic never leaves the machine (RFC 8252 §7.3, §8.3). */
export const isSecureWebUrl = (url: URL): boolean =>
  url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
