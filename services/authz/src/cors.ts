import type { RequestHandler } from 'express';

/**
 * Browser-based MCP clients call the metadata, JWKS and token endpoints from their own origin.
 * None of these answers depends on cookies, so any origin may read them, never with credentials.
 */
export function publicCors(methods: readonly string[]): RequestHandler {
  const allowMethods = [...methods, 'OPTIONS'].join(', ');
  return (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': allowMethods,
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}
