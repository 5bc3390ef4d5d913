import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config.ts';
import { sameResource } from '../resource.ts';
import { BASE_SCOPE, IDENTITY_SCOPE } from '../scopes.ts';
import { policyFileSchema, type PolicyFile, type ServerPolicyFile } from './schema.ts';

/** One protected MCP server, resolved against PUBLIC_URL. */
export interface ServerPolicy {
  /** Path under PUBLIC_URL, e.g. `/mcp`; never a trailing slash. */
  path: string;
  /** The resource identifier (RFC 8707): `aud` of its tokens, and the base of its RFC 9728 metadata URL. */
  resource: string;
  name: string;
  /** Absent: the built-in demo tools. */
  upstream?: string | undefined;
  documentation?: string | undefined;
  /** Scopes any request needs (the challenge's `scope` for an anonymous caller). */
  required: readonly string[];
  tools: ReadonlyMap<string, readonly string[]>;
  resources: ReadonlyMap<string, readonly string[]>;
  prompts: ReadonlyMap<string, readonly string[]>;
}

export interface Policy {
  /** Every scope this issuer grants, in the operator's order, with its consent-page description. */
  scopes: ReadonlyMap<string, string>;
  /** What a client that asks for no scope gets. */
  defaultScope: readonly string[];
  servers: readonly ServerPolicy[];
}

/** Without MCP_POLICY_PATH: the two demo scopes (and, with no `servers`, the demo server below). */
export const DEFAULT_POLICY_FILE: PolicyFile = {
  scopes: {
    [BASE_SCOPE]: 'See the list of tools on this MCP server and use its basic tools',
    [IDENTITY_SCOPE]: 'See your username on this server',
  },
  default_scope: [BASE_SCOPE],
};

/** The one server of a file that lists none: the built-in demo tools at /mcp. */
export const DEMO_SERVER: ServerPolicyFile = {
  path: '/mcp',
  name: 'mcp-auth MCP server',
  tools: { echo: [BASE_SCOPE], whoami: [IDENTITY_SCOPE] },
  resources: {},
  prompts: {},
};

export interface PolicyEnv {
  PUBLIC_URL: string;
  /** The operator's file; absent → DEFAULT_POLICY_FILE. */
  MCP_POLICY_PATH?: string | undefined;
  /** Shortcut for one proxied server at /mcp: only with a file that lists no servers (or no file). */
  MCP_UPSTREAM_URL?: string | undefined;
  /** Older single-server setting: the full resource URL of the one server (no `servers` in the file). */
  MCP_RESOURCE_URL?: string | undefined;
}

/** Parses a policy document (already read); `source` names it in errors. */
export function parsePolicyText(text: string, source: string): PolicyFile {
  let raw: unknown;
  try {
    raw = extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `MCP_POLICY_PATH: ${source} is not valid ${extname(source) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const result = policyFileSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new ConfigError(`MCP_POLICY_PATH: ${source}: ${lines.join('; ')}`);
  }
  return result.data;
}

function readPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `MCP_POLICY_PATH: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return parsePolicyText(text, path);
}

/** Resolves a parsed file against the environment: resource URLs, the upstream shortcut, defaults. */
export function resolvePolicy(file: PolicyFile, env: PolicyEnv): Policy {
  const publicUrl = env.PUBLIC_URL.replace(/\/+$/, '');
  const fileServers = file.servers ?? [DEMO_SERVER];
  if (file.servers && (env.MCP_UPSTREAM_URL || env.MCP_RESOURCE_URL)) {
    throw new ConfigError(
      `${env.MCP_UPSTREAM_URL ? 'MCP_UPSTREAM_URL' : 'MCP_RESOURCE_URL'}: the policy file lists servers; set each server's upstream and path there instead`,
    );
  }
  const servers = fileServers.map((s, i): ServerPolicy => {
    const single = i === 0 && !file.servers;
    const resource =
      single && env.MCP_RESOURCE_URL ? env.MCP_RESOURCE_URL.replace(/\/+$/, '') : `${publicUrl}${s.path}`;
    const upstream = single && env.MCP_UPSTREAM_URL ? env.MCP_UPSTREAM_URL : s.upstream;
    const required = s.required ?? file.default_scope;
    // A file without servers gets the one default server at /mcp: the demo tools (with their
    // scopes) unless MCP_UPSTREAM_URL proxies it, whose tools only the operator can name.
    return {
      path: new URL(resource).pathname.replace(/\/+$/, '') || '/',
      resource,
      name: s.name ?? (upstream ? `MCP server at ${s.path}` : 'mcp-auth MCP server'),
      upstream,
      documentation: s.documentation,
      required,
      tools: new Map(Object.entries(single && upstream ? {} : s.tools)),
      resources: new Map(Object.entries(s.resources)),
      prompts: new Map(Object.entries(s.prompts)),
    };
  });
  return {
    scopes: new Map(Object.entries(file.scopes)),
    defaultScope: file.default_scope,
    servers,
  };
}

/** The policy in force: the operator's file when MCP_POLICY_PATH is set, else the demo default. */
export function loadPolicy(env: PolicyEnv): Policy {
  return resolvePolicy(env.MCP_POLICY_PATH ? readPolicyFile(env.MCP_POLICY_PATH) : DEFAULT_POLICY_FILE, env);
}

/** The environment variables that select the policy, for each service's zod shape. */
export const policyEnv = {
  MCP_POLICY_PATH: z.string().min(1).optional(),
  MCP_UPSTREAM_URL: z.url({ protocol: /^https?$/ }).optional(),
};

/** The consent page's words for a scope (the scope itself when the operator gave none). */
export const describeScope = (policy: Policy, scope: string): string => policy.scopes.get(scope) ?? scope;

/** The server whose resource URL this is (RFC 8707 `resource` / `aud`), compared as `sameResource` does. */
export const serverForResource = (
  policy: Pick<Policy, 'servers'>,
  resource: string,
): ServerPolicy | undefined => policy.servers.find((s) => sameResource(s.resource, resource));
