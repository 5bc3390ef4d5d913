import type { Middleware } from './bearer.ts';

export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The resource URL's path without a trailing slash ('' for a bare origin). */
export const resourcePathOf = (resource: string): string => new URL(resource).pathname.replace(/\/+$/, '');

/**
 * RFC 9728 §3.1: the well-known segment goes between the origin and the resource's path, so
 * http://localhost:8080/mcp → http://localhost:8080/.well-known/oauth-protected-resource/mcp.
 */
export function resourceMetadataUrlFor(resource: string): string {
  return `${new URL(resource).origin}${PROTECTED_RESOURCE_WELL_KNOWN}${resourcePathOf(resource)}`;
}

export interface ResourceMetadataOptions {
  /** The resource identifier (RFC 8707), the `aud` of its tokens. */
  resource: string;
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  resourceName?: string;
  resourceDocumentation?: string | undefined;
}

/** RFC 9728 §2 protected resource metadata: tells a client which authorization server to use. */
export function protectedResourceMetadata(options: ResourceMetadataOptions) {
  return {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.resourceDocumentation ? { resource_documentation: options.resourceDocumentation } : {}),
  };
}

/**
 * Serves the metadata at its RFC 9728 §3.1 path (and, with `alsoAtRoot`, at the bare well-known
 * path, which clients of earlier MCP revisions try). Public and readable from browser-based
 * clients (CORS *): it holds nothing secret. Mount it at the root of the app; it passes every
 * other path on.
 */
export function protectedResourceMetadataRouter(
  options: ResourceMetadataOptions & { alsoAtRoot?: boolean },
): Middleware {
  const body = JSON.stringify(protectedResourceMetadata(options));
  const paths = new Set([PROTECTED_RESOURCE_WELL_KNOWN + resourcePathOf(options.resource)]);
  if (options.alsoAtRoot) paths.add(PROTECTED_RESOURCE_WELL_KNOWN);
  return (req, res, next) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!paths.has(path)) return next();
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      // Browser clients send MCP-Protocol-Version with discovery requests, which makes them preflight.
      res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        req.headers['access-control-request-headers'] ?? 'Content-Type',
      );
      res.setHeader('Access-Control-Max-Age', '600');
      res.statusCode = 204;
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const error = JSON.stringify({ error: 'invalid_request', error_description: 'method not allowed' });
      res.writeHead(405, { Allow: 'GET, OPTIONS', 'Content-Type': 'application/json; charset=utf-8' });
      return res.end(error);
    }
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
