import type express from 'express';
import {
  oauthErrorHandler,
  publicCors,
  strictApp,
  type KeySet,
  type Logger,
  type RevocationChecker,
} from '@mcp-auth/core';
import { requireBearer } from './auth/bearer.ts';
import { requireScopes } from './auth/require-scopes.ts';
import { resourcePathOf, type McpConfig } from './config.ts';
import { handleMcpPost, jsonRpcBody, methodNotAllowed } from './mcp/endpoint.ts';
import { metadataRoutes } from './metadata.ts';
import { toolScopesOf, tools } from './tools/index.ts';

export type { McpConfig } from './config.ts';

export interface McpDeps {
  config: McpConfig;
  keys: KeySet;
  logger: Logger;
  /** Asked for every request when given; without it revoked tokens are accepted until they expire. */
  revocation?: RevocationChecker;
}

/**
 * The protected resource: RFC 9728 metadata, and MCP at the resource's path (`/mcp`) behind the
 * bearer check. Answers only its own paths, so it can be mounted beside the other apps.
 */
export function createApp(deps: McpDeps): express.Express {
  const app = strictApp();
  const mcpPath = resourcePathOf(deps.config.resource) || '/';
  const bearer = requireBearer(deps);
  const scopes = requireScopes(deps.config, toolScopesOf(tools));

  app.use(metadataRoutes(deps.config));
  // Before the bearer check: a browser's preflight carries no token. Clients must be able to read
  // the challenge (WWW-Authenticate) to discover how to log in.
  app.use(mcpPath, publicCors(['POST', 'GET', 'DELETE'], ['WWW-Authenticate', 'Mcp-Session-Id']));
  app
    .route(mcpPath)
    // Authentication comes before the body is read, so an anonymous caller cannot make us parse 1 MB.
    .post(bearer, jsonRpcBody('1mb'), scopes, handleMcpPost({ tools, logger: deps.logger }))
    .all(bearer, scopes, methodNotAllowed);
  app.use(oauthErrorHandler(deps.logger));
  return app;
}
