import { z } from 'zod';
import {
  baseUrl,
  commonEnv,
  databasePoolEnv,
  ConfigError,
  loadConfig,
  loadPolicy,
  policyEnv,
  port,
  postgresUrl,
  revocationRedisEnv,
  type Policy,
} from '@mcp-auth/core';
import { resourceMetadataUrlFor } from '@mcp-auth/resource-server';

/** `https://a.example, http://localhost:6274` → origins; `*` alone allows any origin. */
const originList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })])));

/** A body size in the body parser's syntax: 1mb, 512kb, 1048576. */
const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)?$/i, 'a size such as 1mb, 512kb or 1048576')
  .default('1mb');

export const mcpEnv = {
  ...commonEnv,
  ...policyEnv,
  PORT: port(3003),
  /**
   * The authorization server's JWKS (RFC 7517), fetched and cached; a new `kid` is fetched when a
   * token names it. Default: AUTHORIZATION_SERVER_URL (or PUBLIC_URL) + /oauth/jwks.json.
   */
  MCP_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Instead of the JWKS URL: a file with the public key(s), PEM (one or more keys) or a JWKS document. */
  JWT_PUBLIC_KEYS_PATH: z.string().min(1).optional(),
  /** The one server's resource identifier when the policy lists none (default PUBLIC_URL/mcp). */
  MCP_RESOURCE_URL: baseUrl.optional(),
  /** The issuer whose tokens are accepted; default PUBLIC_URL (the bundled authorization server). */
  AUTHORIZATION_SERVER_URL: baseUrl.optional(),
  /** Documentation advertised in the metadata (RFC 9728 §2) of servers whose policy names none. */
  MCP_RESOURCE_DOCUMENTATION: z.url({ protocol: /^https?$/ }).optional(),
  /** Origins (comma-separated) besides PUBLIC_URL's own that browsers may call MCP from; `*`: any. */
  MCP_ALLOWED_ORIGINS: originList.optional(),
  /** Seconds an upstream MCP server has to start answering (response headers) before 504. */
  MCP_UPSTREAM_TIMEOUT: z.coerce.number().positive().max(3600).default(30),
  /** Largest JSON-RPC request body accepted (413 beyond). */
  MCP_BODY_LIMIT: byteSize,
};

export type McpEnv = z.output<z.ZodObject<typeof mcpEnv>>;

/**
 * The standalone service also reads the revocation set: Redis on every request, and Postgres
 * (read access to the revocations table is enough) to rebuild Redis after it lost its data.
 */
export const mcpServiceEnv = {
  ...mcpEnv,
  ...revocationRedisEnv,
  DATABASE_URL: postgresUrl,
  ...databasePoolEnv,
};

export interface McpConfig {
  /** The one authorization server whose tokens are accepted (`iss`). */
  issuer: string;
  /** The protected servers, each at its path with its own resource URL, scopes and upstream. */
  policy: Policy;
  /** Origins besides each resource's own allowed to call from a browser. */
  allowedOrigins: readonly string[];
  upstreamTimeoutMs: number;
  bodyLimit: string;
  /** Used for servers whose policy names no documentation. */
  resourceDocumentation?: string | undefined;
}

export { resourceMetadataUrlFor };

/** Builds the config from its essentials; the embedded mode calls this with its own URLs. */
export function mcpConfig(input: {
  issuer: string;
  policy: Policy;
  allowedOrigins?: readonly string[] | undefined;
  upstreamTimeoutMs?: number;
  bodyLimit?: string;
  resourceDocumentation?: string | undefined;
}): McpConfig {
  if (input.policy.servers.length === 0) throw new ConfigError('the policy protects no MCP server');
  return {
    issuer: input.issuer,
    policy: input.policy,
    allowedOrigins: input.allowedOrigins ?? [],
    upstreamTimeoutMs: input.upstreamTimeoutMs ?? 30_000,
    bodyLimit: input.bodyLimit ?? '1mb',
    resourceDocumentation: input.resourceDocumentation,
  };
}

type ConfigEnv = Pick<McpEnv, 'PUBLIC_URL'> &
  Partial<
    Pick<
      McpEnv,
      | 'MCP_RESOURCE_URL'
      | 'AUTHORIZATION_SERVER_URL'
      | 'MCP_RESOURCE_DOCUMENTATION'
      | 'MCP_POLICY_PATH'
      | 'MCP_UPSTREAM_URL'
      | 'MCP_ALLOWED_ORIGINS'
      | 'MCP_UPSTREAM_TIMEOUT'
      | 'MCP_BODY_LIMIT'
    >
  >;

/** Takes the parsed environment (the embedded mode passes only what it has). */
export const mcpConfigFrom = (env: ConfigEnv): McpConfig =>
  mcpConfig({
    issuer: env.AUTHORIZATION_SERVER_URL ?? env.PUBLIC_URL,
    policy: loadPolicy(env),
    allowedOrigins: env.MCP_ALLOWED_ORIGINS,
    upstreamTimeoutMs: (env.MCP_UPSTREAM_TIMEOUT ?? 30) * 1000,
    bodyLimit: env.MCP_BODY_LIMIT,
    resourceDocumentation: env.MCP_RESOURCE_DOCUMENTATION,
  });

/** Where the service gets the issuer's public keys: a file when given, else the JWKS URL. */
export function keySourceFrom(
  env: Pick<McpEnv, 'JWT_PUBLIC_KEYS_PATH' | 'MCP_JWKS_URL'>,
  issuer: string,
): { file: string } | { jwksUri: string } {
  if (env.JWT_PUBLIC_KEYS_PATH) return { file: env.JWT_PUBLIC_KEYS_PATH };
  return { jwksUri: env.MCP_JWKS_URL ?? `${issuer}/oauth/jwks.json` };
}

/** What the all-in-one mode reads for its MCP part: its policy is authz's, its URL, port and keys its own. */
const {
  PUBLIC_URL: _url,
  PORT: _port,
  LOG_LEVEL: _level,
  MCP_JWKS_URL: _jwks,
  JWT_PUBLIC_KEYS_PATH: _keys,
  MCP_POLICY_PATH: _policy,
  MCP_UPSTREAM_URL: _upstream,
  MCP_RESOURCE_URL: _resource,
  AUTHORIZATION_SERVER_URL: _issuer,
  ...embeddedMcpEnv
} = mcpEnv;

/** The all-in-one mode's MCP config: the policy it shares with authz, the rest from the environment. */
export function embeddedMcpConfig(
  issuer: string,
  policy: Policy,
  env: NodeJS.ProcessEnv = process.env,
): McpConfig {
  const e = loadConfig(embeddedMcpEnv, env);
  return mcpConfig({
    issuer,
    policy,
    allowedOrigins: e.MCP_ALLOWED_ORIGINS,
    upstreamTimeoutMs: e.MCP_UPSTREAM_TIMEOUT * 1000,
    bodyLimit: e.MCP_BODY_LIMIT,
    resourceDocumentation: e.MCP_RESOURCE_DOCUMENTATION,
  });
}

export const loadMcpEnv = (env: NodeJS.ProcessEnv = process.env): McpEnv => loadConfig(mcpEnv, env);

export const loadMcpServiceEnv = (env: NodeJS.ProcessEnv = process.env) => loadConfig(mcpServiceEnv, env);
