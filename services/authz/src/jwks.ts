import type { Router } from 'express';
import { jwks, type VerificationKey, publicCors, strictRouter } from '@mcp-auth/core';

/**
 * RFC 7517 key set for resource servers that fetch keys rather than read the shared file.
 * Built from the public half only, so private members can never appear.
 */
export function jwksRouter(keys: readonly VerificationKey[]): Router {
  const router = strictRouter();
  const body = JSON.stringify(jwks(keys.map(({ kid, alg, key }) => ({ kid, alg, key }))));
  router.use('/oauth/jwks.json', publicCors(['GET']));
  router.get('/oauth/jwks.json', (_req, res) => {
    // Short enough that a rotated-in key is picked up soon after it starts signing.
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
  });
  return router;
}
