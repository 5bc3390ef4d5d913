import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '@mcp-auth/resource-server';

/**
 * The verified caller, as the upstream MCP server receives it. The proxy sets these itself and
 * copies no client header of the same name (only REQUEST_HEADERS are copied), so an upstream may
 * trust them as long as only the proxy can reach it.
 */
export const IDENTITY_HEADERS = {
  /** The token's `sub`: the user (or, for client credentials, the client). */
  subject: 'x-mcp-auth-subject',
  /** The OAuth client the user authorized. */
  clientId: 'x-mcp-auth-client-id',
  /** The token's scopes, space-separated. */
  scope: 'x-mcp-auth-scope',
} as const;

/**
 * What the Streamable HTTP transport needs from the client's request; nothing else is copied.
 * Authorization in particular never is: the MCP spec forbids passing the token through.
 */
const REQUEST_HEADERS = ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];

/** What the client needs from the upstream's answer. */
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'cache-control',
  'mcp-session-id',
  'mcp-protocol-version',
  'allow',
  'retry-after',
];

function pick(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, names: string[]) {
  const out: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Header values are visible ASCII; anything else in a subject or client id (a name in another
 * script, a space) is sent percent-encoded as UTF-8, and so is `%` itself, so decoding is exact.
 */
export const headerSafe = (value: string): string =>
  value.replace(/[^\x21-\x24\x26-\x7e]+/gu, (run) => encodeURIComponent(run));

/** The headers sent upstream: the allow-listed ones, the caller's identity, and the body's length. */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  caller: Caller,
  body: Buffer | undefined,
): Record<string, string | string[]> {
  return {
    ...pick(incoming, REQUEST_HEADERS),
    // The parsed body is forwarded as JSON, whatever JSON media type (and charset) the client named.
    ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
    [IDENTITY_HEADERS.subject]: headerSafe(caller.subject),
    [IDENTITY_HEADERS.clientId]: headerSafe(caller.clientId),
    // Scopes are printable ASCII by RFC 6749 §3.3, joined by spaces.
    [IDENTITY_HEADERS.scope]: caller.scopes.join(' '),
  };
}

export const clientResponseHeaders = (upstream: Record<string, string | string[] | undefined>) =>
  pick(upstream, RESPONSE_HEADERS);
