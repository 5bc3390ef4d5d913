import { invalidRedirectUri, redirectUriMatches, type OAuthClient } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

/**
 * redirect_uri must be one the client registered (exact match; loopback IPs may change port, RFC
 * 8252 §7.3). It may be left out only when the client registered exactly one (RFC 6749 §3.1.2.3).
 * Returns the URI to send the answer to, exactly as the client sent it.
 */
export function checkRedirectUri(client: Pick<OAuthClient, 'redirectUris'>, params: RawParams): string {
  const requested = single(params, 'redirect_uri');
  if (requested === undefined) {
    const [only, ...others] = client.redirectUris;
    if (only !== undefined && others.length === 0) return only;
    throw invalidRedirectUri('redirect_uri is required because the app registered several');
  }
  if (!redirectUriMatches(client.redirectUris, requested)) {
    throw invalidRedirectUri('redirect_uri does not match any redirect URI registered by the app');
  }
  return requested;
}
