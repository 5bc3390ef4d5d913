import type { RequestHandler } from 'express';
import type { McpConfig } from '../config.ts';
import { callerOf } from './caller.ts';
import { bearerErrors } from './challenge.ts';
import { requiredScopes, scopeShortfall, type ToolScopes } from './required-scopes.ts';

/**
 * Checks scopes at the HTTP layer, before the MCP server sees the body: a tool-level error inside
 * a 200 response would give the client nothing to step up on, while a 403 with
 * `insufficient_scope` and the scopes to request does (MCP "scope challenge handling").
 */
export function requireScopes(config: McpConfig, toolScopes: ToolScopes): RequestHandler {
  const errors = bearerErrors(config.resourceMetadataUrl);
  return (req, _res, next) => {
    const needed = requiredScopes(req.method === 'POST' ? req.body : undefined, toolScopes);
    const { missing, stepUp } = scopeShortfall(callerOf(req).scopes, needed);
    if (missing.length > 0) {
      throw errors.insufficientScope(stepUp, `this request needs the scope ${missing.join(' ')}`);
    }
    next();
  };
}
