import { invalidClientMetadata } from '@mcp-auth/core';
import { hasUserinfo, parseAbsoluteUri } from './uri.ts';

/**
 * jwks_uri is fetched by the authorization server (through its guarded fetcher, which also refuses
 * non-public addresses when it is used): https only, without credentials, so keys are never read
 * over a channel an attacker could alter.
 */
export function checkJwksUri(raw: string): void {
  const url = parseAbsoluteUri(raw);
  if (!url || url.protocol !== 'https:' || hasUserinfo(raw, url) || raw.includes('#')) {
    throw invalidClientMetadata('jwks_uri: must be an https URL without user information or fragment');
  }
}
