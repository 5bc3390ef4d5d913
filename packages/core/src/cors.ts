import type { RequestHandler } from 'express';

/**
 * CORS for endpoints that browser-based MCP clients (the MCP Inspector, web IDEs) call from their
 * own origin: discovery documents, registration, the token endpoint, the MCP endpoint. None of them
 * uses cookies (bearer tokens and client credentials travel in headers the page sets itself), so any
 * origin may call them, never with credentials. Preflights echo the requested headers because
 * clients add their own (MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID).
 */
export function publicCors(
  methods: readonly string[],
  exposeHeaders: readonly string[] = [],
): RequestHandler {
  const allowMethods = [...methods, 'OPTIONS'].join(', ');
  const expose = exposeHeaders.join(', ');
  return (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    if (expose) res.set('Access-Control-Expose-Headers', expose);
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': allowMethods,
      'Access-Control-Allow-Headers':
        req.get('Access-Control-Request-Headers') ?? 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}
