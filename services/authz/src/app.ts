import type express from 'express';
import { oauthErrorHandler, strictApp } from '@mcp-auth/core';
import { adminApiRouter } from './admin/api/router.ts';
import { authorizeRouter } from './authorize/router.ts';
import { createAuthzContext } from './context.ts';
import type { AuthzDeps } from './deps.ts';
import { addIntrospectionEndpoint } from './introspection/endpoint.ts';
import { jwksRouter } from './jwks.ts';
import { metadataRouter } from './metadata.ts';
import { addRevocationEndpoint } from './revocation/endpoint.ts';
import { addTokenEndpoint } from './token/endpoint.ts';

export type { AuthzDeps } from './deps.ts';
// For the embedded mode, which imports this package by its entry point only.
export { startHousekeeping, type Housekeeping } from './housekeeping.ts';

/**
 * The authorization server. No catch-all: the embedded mode mounts it beside the other apps, so
 * paths it does not own fall through to them. The standalone service passes its own outer app
 * (serviceApp, which must be a strictApp) to have the routes added to it: a mounted app costs every
 * request a second dispatch (prototype swaps and a router pass), measurable on the token and
 * introspection endpoints.
 */
export function createApp(deps: AuthzDeps, app: express.Express = strictApp()): express.Express {
  const ctx = createAuthzContext(deps);
  // Token, introspection and revocation answers are no-store: an ETag (a SHA-1 of every body) would
  // be computed for nothing on the hottest endpoints.
  app.set('etag', false);
  // The form endpoints a client posts credentials to answer ahead of express when the server
  // listens with requestListener (core's direct-routes.ts), through it otherwise.
  addTokenEndpoint(app, ctx);
  addIntrospectionEndpoint(app, ctx);
  addRevocationEndpoint(app, ctx);
  app.use(metadataRouter(deps.config));
  app.use(jwksRouter([deps.signingKey, ...(deps.previousKeys ?? [])]));
  app.use(authorizeRouter(ctx));
  // Off unless ADMIN_API_TOKEN is set: then /admin/v1 does not exist (404, from whatever is mounted after).
  if (deps.config.adminApiToken) app.use(adminApiRouter(ctx, deps.config.adminApiToken));
  app.use(oauthErrorHandler(deps.logger));
  return app;
}
