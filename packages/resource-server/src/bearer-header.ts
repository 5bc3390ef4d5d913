/** RFC 6750 §2.1 b64token: the only characters a bearer token may contain. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/;

export type BearerHeader =
  | { kind: 'token'; token: string }
  | { kind: 'missing'; reason: string }
  /** Credentials for another scheme (Basic…): the client has still to authenticate our way. */
  | { kind: 'other-scheme'; reason: string }
  /** Bearer credentials that are not well formed: invalid_request (RFC 6750 §3.1). */
  | { kind: 'malformed'; reason: string };

/** Reads `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1). */
export function parseBearerHeader(header: string | undefined): BearerHeader {
  const value = header?.trim() ?? '';
  // A client with no token yet often still sends the bare scheme; it needs the challenge, not a 400.
  if (value === '' || value.toLowerCase() === 'bearer') {
    return { kind: 'missing', reason: 'an access token is required' };
  }
  const match = BEARER.exec(value);
  if (match?.[1]) return { kind: 'token', token: match[1] };
  const scheme = SCHEME.exec(value)?.[1];
  if (scheme && scheme.toLowerCase() !== 'bearer') {
    return {
      kind: 'other-scheme',
      reason: `the ${scheme.slice(0, 32)} scheme is not accepted; send Authorization: Bearer <token>`,
    };
  }
  return { kind: 'malformed', reason: 'malformed Authorization header; expected Bearer <token>' };
}
