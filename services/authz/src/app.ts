import type express from 'express';
import { oauthErrorHandler, strictApp } from '@mcp-auth/core';
import { adminApiRouter } from './admin/api/router.ts';
import { authorizeRouter } from './authorize/router.ts';
import { createAuthzContext } from './context.ts';
import type { AuthzDeps } from './deps.ts';
import { introspectionRouter } from './introspection/router.ts';
import { jwksRouter } from './jwks.ts';
import { metadataRouter } from './metadata.ts';
import { revocationRouter } from './revocation/router.ts';
import { tokenRouter } from './token/router.ts';

export type { AuthzDeps } from './deps.ts';
// For the embedded mode, which imports this package by its entry point only.
export { startHousekeeping, type Housekeeping } from './housekeeping.ts';

/**
 * The authorization server. No catch-all: the embedded mode mounts it beside the other apps, so
 * paths it does not own fall through to them.
 */
export function createApp(deps: AuthzDeps): express.Express {
  const ctx = createAuthzContext(deps);
  const app = strictApp();
  // Token, introspection and revocation answers are no-store: an ETag (a SHA-1 of every body) would
  // be computed for nothing on the hottest endpoints.
  app.set('etag', false);
  app.use(metadataRouter(deps.config));
  app.use(jwksRouter([deps.signingKey, ...(deps.previousKeys ?? [])]));
  app.use(tokenRouter(ctx));
  app.use(revocationRouter(ctx));
  app.use(introspectionRouter(ctx));
  app.use(authorizeRouter(ctx));
  // Off unless ADMIN_API_TOKEN is set: then /admin/v1 does not exist (404, from whatever is mounted after).
  if (deps.config.adminApiToken) app.use(adminApiRouter(ctx, deps.config.adminApiToken));
  app.use(oauthErrorHandler(deps.logger));
  return app;
}
