import { isLoopbackHost } from '@mcp-auth/core';

/** Where the answer to an authorization request goes, as a person should read it. */
export interface Destination {
  /** Never empty: a host, "this computer (port …)", or an app's scheme. */
  text: string;
  /** The answer stays on this machine: a loopback listener or a native app (RFC 8252). */
  local: boolean;
}

/**
 * The pages show where the code will be sent, since DCR and CIMD clients choose their own names:
 * - https: the host (with a non-default port), in its ASCII form so a look-alike name shows as
 *   `xn--…` rather than as the name it imitates;
 * - loopback http: "this computer", with the port, since any program there can listen on it;
 * - a private-use scheme (RFC 8252 §7.1): the scheme, which names the app (`com.example.app:/cb`
 *   has no host at all, and `cursor://anysphere.cursor-mcp/…` names Cursor by its scheme).
 * Anything else (which registration does not let in) shows the URI itself, shortened.
 */
export function describeDestination(redirectUri: string): Destination {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return { text: shorten(redirectUri) || 'an unknown address', local: false };
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return { text: `this computer (port ${url.port || '80'})`, local: true };
  }
  if ((url.protocol === 'https:' || url.protocol === 'http:') && url.host) {
    return { text: url.host, local: false };
  }
  const scheme = url.protocol.slice(0, -1);
  return { text: scheme, local: true };
}

const shorten = (s: string) => (s.length > 80 ? `${s.slice(0, 80)}…` : s);
