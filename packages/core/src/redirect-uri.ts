/** Loopback hosts per RFC 8252 §7.3 (IP literals) and §8.3 ("localhost" is allowed but discouraged). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Exact redirect URI matching (RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 and
 * OAuth 2.1 require: for loopback IP redirect URIs the port may differ, because native apps
 * (our CLI among them) listen on whatever port is free at the time.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' || !isLoopbackIp(req.hostname)) return false;
  return registered.some((r) => {
    try {
      const reg = new URL(r);
      return (
        reg.protocol === 'http:' &&
        reg.hostname === req.hostname &&
        reg.pathname === req.pathname &&
        reg.search === req.search &&
        reg.username === req.username &&
        reg.password === req.password
      );
    } catch {
      return false;
    }
  });
}

const isLoopbackIp = (hostname: string) => {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
};
