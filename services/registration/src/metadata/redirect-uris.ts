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
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    // OAuth 2.1 §2.3.1 / RFC 8252 §7.3: codes travel in the clear over http, so only loopback may use it.
    if (!isSecureWebUrl(url)) {
      throw invalidRedirectUri(
        `redirect_uris: "${preview(raw)}" must use https (http is allowed only for loopback hosts)`,
      );
    }
    return;
  }
  // RFC 8252 §7.1: private-use schemes are reverse domain names, which also keeps out
  // javascript:, data:, file: and every other scheme without a dot.
  const scheme = url.protocol.slice(0, -1);
  if (!scheme.includes('.')) {
    throw invalidRedirectUri(
      `redirect_uris: scheme "${scheme}" is not allowed (use https, http on loopback, or a reverse-domain private-use scheme)`,
    );
  }
}

export function checkRedirectUris(redirectUris: readonly string[]): void {
  redirectUris.forEach(checkRedirectUri);
}

// Error descriptions echo what was sent; keep them short.
const preview = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
