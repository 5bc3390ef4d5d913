import { invalidClient } from '@mcp-auth/core';

export interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses `Authorization: Basic …` per RFC 6749 §2.3.1: base64 of `id:secret`, where id and secret
 * were each application/x-www-form-urlencoded first (so a secret may contain ':' or '%').
 * Any malformation is a failed client authentication: 401 with a Basic challenge.
 */
export function parseBasicAuthorization(header: string): BasicCredentials {
  const match = /^Basic +(\S+)$/i.exec(header);
  const encoded = match?.[1];
  if (!encoded) throw invalidClient('Authorization header must use the Basic scheme', true);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw invalidClient('malformed Basic credentials (not base64)', true);
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw invalidClient('malformed Basic credentials (not UTF-8)', true);
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('malformed Basic credentials (no ":")', true);
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (!clientId || !clientSecret) throw invalidClient('malformed Basic credentials', true);
  return { clientId, clientSecret };
}

/**
 * application/x-www-form-urlencoded decoding of one value; undefined when the escapes are broken
 * or decode to NUL (no client id or secret contains one, and the database could not store it).
 */
function formDecode(value: string): string | undefined {
  try {
    const decoded = decodeURIComponent(value.replace(/\+/g, ' '));
    return decoded.includes('\u0000') ? undefined : decoded;
  } catch {
    return undefined;
  }
}
