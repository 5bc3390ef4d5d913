import { invalidClientMetadata } from '@mcp-auth/core';
import { hasUserinfo, isSecureWebUrl, parseAbsoluteUri } from './uri.ts';

export const WEB_URL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const;
export type WebUrlField = (typeof WEB_URL_FIELDS)[number];

/**
 * RFC 7591 §2: client_uri, logo_uri, tos_uri and policy_uri are web pages a person may be shown
 * or sent to (RFC 7591 §5 warns about phishing through them), so they must be http(s) URLs —
 * https, or http on loopback — without credentials.
 */
export function checkWebUrl(field: WebUrlField, raw: string): void {
  const url = parseAbsoluteUri(raw);
  if (!url || hasUserinfo(raw, url) || !isSecureWebUrl(url)) {
    throw invalidClientMetadata(
      `${field}: must be an https URL (http only on loopback) without user information`,
    );
  }
}
