import type { Middleware } from './bearer.ts';
import { sendBearerError, BearerError } from './challenge.ts';

export interface OriginOptions {
  /** This resource's URL: its own origin is always allowed. */
  resource: string;
  /** Further origins allowed to call from a browser (`https://app.example`); `*` allows any. */
  allowedOrigins?: readonly string[];
  /** Methods the endpoint serves, for preflight answers (default POST, GET, DELETE). */
  methods?: readonly string[];
  /** Response headers a browser page may read (default WWW-Authenticate, Mcp-Session-Id). */
  exposeHeaders?: readonly string[];
}

const originOf = (url: string): string => new URL(url).origin;

/**
 * The Streamable HTTP transport's Origin rule ("servers MUST validate the Origin header", against
 * DNS rebinding): a request with no Origin (not from a browser page) or from an allowed origin
 * passes; any other gets 403 before authentication. CORS agrees with the list: only allowed
 * origins get Access-Control-Allow-Origin (their own, never `*` unless `*` is configured), and a
 * preflight is answered here, without a token (browsers send none with it).
 */
export function originGuard(options: OriginOptions): Middleware {
  const anyOrigin = options.allowedOrigins?.includes('*') ?? false;
  const allowed = new Set([
    originOf(options.resource),
    ...(options.allowedOrigins ?? []).filter((o) => o !== '*').map(originOf),
  ]);
  const methods = [...(options.methods ?? ['POST', 'GET', 'DELETE']), 'OPTIONS'].join(', ');
  const expose = (options.exposeHeaders ?? ['WWW-Authenticate', 'Mcp-Session-Id']).join(', ');
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    // A page's Origin is an origin; `null` (sandboxed frames, file:) is never on the list.
    let normalized: string | undefined;
    try {
      normalized = origin === 'null' ? undefined : originOf(origin);
    } catch {
      normalized = undefined;
    }
    if (!anyOrigin && (normalized === undefined || !allowed.has(normalized))) {
      return sendBearerError(
        res,
        new BearerError('forbidden', 'this Origin may not call this MCP server', 403),
      );
    }
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', expose);
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader(
      'Access-Control-Allow-Headers',
      req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type',
    );
    res.setHeader('Access-Control-Max-Age', '600');
    res.statusCode = 204;
    res.end();
  };
}
