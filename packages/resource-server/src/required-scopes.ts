import type { ServerResponse } from 'node:http';
import type { AuthenticatedRequest, Middleware } from './bearer.ts';
import { bearerErrors, sendBearerError } from './challenge.ts';

/** Name → scopes: tools and prompts by name, resources by URI. */
export type Requirements = ReadonlyMap<string, readonly string[]>;

/** What each kind of MCP request needs on this resource, on top of `required`. */
export interface ScopePolicy {
  /** Scopes any request needs (initialize, tools/list, …). */
  required: readonly string[];
  tools?: Requirements;
  resources?: Requirements;
  prompts?: Requirements;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The JSON-RPC methods that act on one named thing, and where its name is. */
const TARGETS = {
  'tools/call': ['tools', 'name'],
  'prompts/get': ['prompts', 'name'],
  'resources/read': ['resources', 'uri'],
} as const;

/**
 * The scopes a JSON-RPC body (one message or a batch) needs: `required` for anything, plus each
 * called tool's, read resource's and fetched prompt's own. Unlisted names add nothing: the MCP
 * server answers them.
 */
export function requiredScopes(body: unknown, policy: ScopePolicy): string[] {
  const needed = new Set(policy.required);
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isObject(message) || typeof message.method !== 'string' || !isObject(message.params)) continue;
    if (!Object.hasOwn(TARGETS, message.method)) continue;
    const target = TARGETS[message.method as keyof typeof TARGETS];
    const name = message.params[target[1]];
    const scopes = typeof name === 'string' ? policy[target[0]]?.get(name) : undefined;
    for (const s of scopes ?? []) needed.add(s);
  }
  return [...needed];
}

/**
 * The scopes the token lacks, and what a step-up must ask for: the token's scopes plus the
 * missing ones, so the new token keeps what the client could already do.
 */
export function scopeShortfall(
  granted: readonly string[],
  needed: readonly string[],
): { missing: string[]; stepUp: string[] } {
  const missing = needed.filter((s) => !granted.includes(s));
  return { missing, stepUp: missing.length === 0 ? [] : [...new Set([...granted, ...missing])] };
}

/**
 * Checks scopes per JSON-RPC message at the HTTP layer, before the MCP server (or the upstream)
 * sees the body: a tool-level error inside a 200 would give the client nothing to step up on,
 * while a 403 `insufficient_scope` naming the scopes does (MCP "scope challenge handling").
 * Runs after requireBearerAuth and a JSON body parser (it reads `req.body`).
 */
export function requireMessageScopes(options: ScopePolicy & { resourceMetadataUrl: string }): Middleware {
  const errors = bearerErrors(options.resourceMetadataUrl);
  return (req, res: ServerResponse, next) => {
    const request = req as AuthenticatedRequest & { body?: unknown };
    const granted = request.auth?.scopes;
    if (!granted) return next(new Error('requireMessageScopes runs after requireBearerAuth'));
    const needed = requiredScopes(req.method === 'POST' ? request.body : undefined, options);
    const { missing, stepUp } = scopeShortfall(granted, needed);
    if (missing.length > 0) {
      return sendBearerError(
        res,
        errors.insufficientScope(stepUp, `this request needs the scope ${missing.join(' ')}`),
      );
    }
    next();
  };
}
