import type { RequestHandler, Router } from 'express';
import { publicCors, strictRouter, SUPPORTED_SCOPES } from '@mcp-auth/core';
import { PROTECTED_RESOURCE_WELL_KNOWN, resourcePathOf, type McpConfig } from './config.ts';

/** RFC 9728 §2 protected resource metadata: tells a client which authorization server to use. */
export function protectedResourceMetadata(config: McpConfig) {
  return {
    resource: config.resource,
    authorization_servers: [config.issuer],
    scopes_supported: [...SUPPORTED_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: config.resourceName,
    ...(config.resourceDocumentation ? { resource_documentation: config.resourceDocumentation } : {}),
  };
}

/**
 * Served at the RFC 9728 §3.1 path for the resource and at the bare well-known path, which
 * clients of earlier MCP revisions try. Public and readable from browser-based clients (CORS *):
 * it holds nothing secret.
 */
export function metadataRoutes(config: McpConfig): Router {
  const body = protectedResourceMetadata(config);
  const paths = [
    ...new Set([
      PROTECTED_RESOURCE_WELL_KNOWN + resourcePathOf(config.resource),
      PROTECTED_RESOURCE_WELL_KNOWN,
    ]),
  ];
  const get: RequestHandler = (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(body);
  };
  const notAllowed: RequestHandler = (_req, res) => {
    res
      .status(405)
      .set('Allow', 'GET, OPTIONS')
      .json({ error: 'invalid_request', error_description: 'method not allowed' });
  };
  const router = strictRouter();
  // Browser clients send MCP-Protocol-Version with discovery requests, which makes them preflight.
  router.use(paths, publicCors(['GET']));
  for (const path of paths) router.route(path).get(get).all(notAllowed);
  return router;
}
