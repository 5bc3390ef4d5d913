/** Loopback hosts per RFC 8252 §7.3 (IP literals) and §8.3 ("localhost" is allowed but discouraged). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * A loopback http redirect URI split around its port, on the raw string: what is compared must be
 * what the client sent, not what the WHATWG parser makes of it (it would resolve `/a/../b`, decode
 * some escapes and lowercase the host). An empty path is "/" (RFC 3986 §6.2.3), so VS Code's
 * registered `http://127.0.0.1/` and a bare `http://127.0.0.1:33418` agree.
 */
const LOOPBACK = /^http:\/\/(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::(\d{1,5}))?([/?].*)?$/;

function loopbackParts(uri: string): { host: string; rest: string } | undefined {
  const m = LOOPBACK.exec(uri);
  if (!m) return undefined;
  const [, host = '', port, rest = ''] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return { host, rest: rest.startsWith('/') ? rest : `/${rest}` };
}

/**
 * Exact redirect URI matching (RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 and
 * OAuth 2.1 require: for loopback redirect URIs the port may differ, because native apps (our
 * CLI, Claude Code, VS Code, mcp-remote…) listen on whatever port is free at the time. `localhost`
 * is treated like the IP literals here: MCP clients register it (mcp-remote, Claude Code, the
 * Inspector), and the code only ever travels to this machine either way. Host, path and query
 * must still match exactly; `localhost` never matches `127.0.0.1`.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const req = loopbackParts(requested);
  if (!req) return false;
  return registered.some((r) => {
    const reg = loopbackParts(r);
    return reg !== undefined && reg.host === req.host && reg.rest === req.rest;
  });
}
