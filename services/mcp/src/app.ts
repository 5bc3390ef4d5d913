import type express from 'express';
import { oauthErrorHandler, strictApp, type Logger, type ServerPolicy } from '@mcp-auth/core';
import {
  jwtVerifier,
  originGuard,
  protectedResourceMetadataRouter,
  requireBearerAuth,
  requireMessageScopes,
  resourceMetadataUrlFor,
  type KeySet,
  type KeySource,
  type RevocationChecker,
} from '@mcp-auth/resource-server';
import type { McpConfig } from './config.ts';
import { handleMcpPost, jsonRpcBody, methodNotAllowed } from './mcp/endpoint.ts';
import { forwardTo } from './proxy/forward.ts';
import { tools } from './tools/index.ts';

export type { McpConfig } from './config.ts';

export interface McpDeps {
  config: McpConfig;
  /** The issuer's public keys: fixed, or a source such as its JWKS URL (`remoteJwks`). */
  keys: KeySet | KeySource;
  logger: Logger;
  /** Asked for every request when given; without it revoked tokens are accepted until they expire. */
  revocation?: RevocationChecker;
}

export type McpApp = express.Express & {
  /** Closes the keep-alive connections to upstream servers. */
  closeUpstreams(): Promise<void>;
};

/**
 * The protected resources of the policy, each at its path: RFC 9728 metadata, the Origin check,
 * the bearer check for its own audience, the per-message scope check, then either the built-in
 * demo tools or the operator's upstream MCP server. Answers only its own paths, so it can be
 * mounted beside the other apps.
 */
export function createApp(deps: McpDeps): McpApp {
  const app = strictApp() as McpApp;
  const upstreams: { close(): Promise<void> }[] = [];
  deps.config.policy.servers.forEach((server, i) => {
    const mounted = protectServer(app, deps, server, i === 0);
    if (mounted) upstreams.push(mounted);
  });
  app.use(oauthErrorHandler(deps.logger));
  app.closeUpstreams = async () => {
    await Promise.all(upstreams.map((u) => u.close()));
  };
  return app;
}

function protectServer(
  app: express.Express,
  deps: McpDeps,
  server: ServerPolicy,
  first: boolean,
): { close(): Promise<void> } | undefined {
  const { config, logger } = deps;
  const resourceMetadataUrl = resourceMetadataUrlFor(server.resource);
  const scopes = {
    required: server.required,
    tools: server.tools,
    resources: server.resources,
    prompts: server.prompts,
  };
  app.use(
    protectedResourceMetadataRouter({
      resource: server.resource,
      authorizationServers: [config.issuer],
      scopesSupported: [...config.policy.scopes.keys()],
      resourceName: server.name,
      resourceDocumentation: server.documentation ?? config.resourceDocumentation,
      // Clients of earlier MCP revisions look at the bare well-known path: it names the first server.
      alsoAtRoot: first,
    }),
  );
  const bearer = requireBearerAuth({
    verifier: jwtVerifier({
      issuer: config.issuer,
      audience: server.resource,
      keys: deps.keys,
      revocation: deps.revocation,
    }),
    requiredScopes: server.required,
    resourceMetadataUrl,
    logger,
  });
  const messageScopes = requireMessageScopes({ ...scopes, resourceMetadataUrl });
  // Before the bearer check: a browser's preflight carries no token; a foreign page gets 403.
  app.use(server.path, originGuard({ resource: server.resource, allowedOrigins: config.allowedOrigins }));
  // Authentication comes before the body is read, so an anonymous caller cannot make us parse it.
  const post = [bearer, jsonRpcBody(config.bodyLimit), messageScopes];
  const route = app.route(server.path);
  if (!server.upstream) {
    route
      .post(...post, handleMcpPost({ tools, toolScopes: server.tools, logger }))
      .all(bearer, methodNotAllowed('POST'));
    return undefined;
  }
  const upstream = forwardTo({ url: server.upstream, timeoutMs: config.upstreamTimeoutMs, logger });
  route
    .post(...post, upstream.handler)
    .get(bearer, upstream.handler)
    .delete(bearer, upstream.handler)
    .all(bearer, methodNotAllowed('POST, GET, DELETE'));
  return upstream;
}
