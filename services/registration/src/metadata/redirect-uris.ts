import { invalidRedirectUri } from '@mcp-auth/core';
import { hasUserinfo, isSecureWebUrl, parseAbsoluteUri } from './uri.ts';

/**
 * RFC 6749 §3.1.2 / RFC 7591 §2: clients of redirect-based flows must register their
 * redirection URIs; a client that uses no such flow (client_credentials only) needs none.
 */
export function checkRedirectUrisPresent(
  redirectUris: readonly string[],
  grantTypes: readonly string[],
): void {
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw invalidRedirectUri('redirect_uris: at least one redirect URI is required for authorization_code');
  }
}

/**
 * Schemes that are never an app's redirect: they run script or show content in the browser that
 * follows the redirect (javascript, vbscript, data, blob, about, view-source, filesystem), read
 * local files (file), or hand the code to another protocol handler or person (ftp, ws, mailto,
 * tel, sms, intent, …). RFC 8252 §7.1 private-use schemes are anything else; RFC 3986 §3.1 says
 * schemes compare case-insensitively, so `JavaScript:` is refused as `javascript:` is.
 */
const REFUSED_SCHEMES = new Set([
  'javascript',
  'vbscript',
  'livescript',
  'data',
  'blob',
  'about',
  'view-source',
  'filesystem',
  'file',
  'ftp',
  'ftps',
  'sftp',
  'ws',
  'wss',
  'mailto',
  'tel',
  'sms',
  'intent',
  'jar',
]);

/** Each redirect URI on its own; every failure is RFC 7591 §3.2.2 `invalid_redirect_uri`. */
export function checkRedirectUri(raw: string): void {
  const url = parseAbsoluteUri(raw);
  if (!url) throw invalidRedirectUri(`redirect_uris: "${preview(raw)}" is not an absolute URI`);
  // RFC 6749 §3.1.2: the endpoint URI MUST NOT include a fragment component.
  if (raw.includes('#'))
    throw invalidRedirectUri(`redirect_uris: "${preview(raw)}" must not contain a fragment`);
  if (hasUserinfo(raw, url)) {
    throw invalidRedirectUri(`redirect_uris: "${preview(raw)}" must not contain user information`);
  }
  // The parser lowercases the scheme; the raw string is what later requests must match exactly.
  const scheme = url.protocol.slice(0, -1);
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    if (!raw.startsWith(`${scheme}:`)) {
      throw invalidRedirectUri(`redirect_uris: "${preview(raw)}" must spell its scheme in lower case`);
    }
    // OAuth 2.1 §2.3.1 / RFC 8252 §7.3: codes travel in the clear over http, so only loopback may use it.
    if (!isSecureWebUrl(url)) {
      throw invalidRedirectUri(
        `redirect_uris: "${preview(raw)}" must use https (http is allowed only for loopback hosts)`,
      );
    }
    return;
  }
  checkPrivateUseScheme(raw, scheme);
}

/**
 * RFC 8252 §7.1 private-use schemes. Reverse-domain names (`com.example.app:/cb`) are what the RFC
 * recommends, but desktop MCP clients register plain app names (`cursor://anysphere.cursor-mcp/…`),
 * and refusing them locks those clients out. PKCE (required here for every client) is the RFC 8252
 * §8.1 answer to another app claiming the same scheme.
 */
function checkPrivateUseScheme(raw: string, scheme: string): void {
  if (REFUSED_SCHEMES.has(scheme) || /^(?:https?|wss?)[.+-]/.test(scheme)) {
    throw invalidRedirectUri(
      `redirect_uris: scheme "${scheme}" is not allowed (use https, http on loopback, or an app's own scheme)`,
    );
  }
  // `app:` alone names no callback; at least a path or authority must follow.
  if (raw.length === scheme.length + 1) {
    throw invalidRedirectUri(`redirect_uris: "${preview(raw)}" has nothing after its scheme`);
  }
}

export function checkRedirectUris(redirectUris: readonly string[]): void {
  redirectUris.forEach(checkRedirectUri);
}

// Error descriptions echo what was sent; keep them short.
const preview = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
