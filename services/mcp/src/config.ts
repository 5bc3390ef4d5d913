import { z } from 'zod';
import { baseUrl, commonEnv, loadConfig, port, postgresUrl, revocationRedisEnv } from '@mcp-auth/core';

export const mcpEnv = {
  ...commonEnv,
  PORT: port(3003),
  /** The authorization server's public key(s): a PEM file (one or more keys) or a JWKS document. */
  JWT_PUBLIC_KEYS_PATH: z.string().min(1),
  /** This resource's identifier (RFC 8707), the `aud` every accepted token must carry; default PUBLIC_URL/mcp. */
  MCP_RESOURCE_URL: baseUrl.optional(),
  /** The issuer whose tokens are accepted; default PUBLIC_URL (the bundled authorization server). */
  AUTHORIZATION_SERVER_URL: baseUrl.optional(),
  /** Human-readable documentation for this resource, advertised in its metadata (RFC 9728 §2). */
  MCP_RESOURCE_DOCUMENTATION: z.url({ protocol: /^https?$/ }).optional(),
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
};

export interface McpConfig {
  /** The resource identifier: tokens must name it in `aud`, and its path is where MCP is served. */
  resource: string;
  /** The one authorization server whose tokens are accepted (`iss`). */
  issuer: string;
  /** Where clients discover how to get a token (RFC 9728 §3.1); named in every 401 challenge. */
  resourceMetadataUrl: string;
  resourceName: string;
  resourceDocumentation?: string | undefined;
}

/**
 * RFC 9728 §3.1: the well-known segment goes between the origin and the resource's path, so
 * http://localhost:8080/mcp → http://localhost:8080/.well-known/oauth-protected-resource/mcp.
 */
export function resourceMetadataUrlFor(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${resourcePathOf(resource)}`;
}

export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The resource URL's path without a trailing slash ('' for a bare origin). */
export const resourcePathOf = (resource: string): string => new URL(resource).pathname.replace(/\/+$/, '');

/** Builds the config from its essentials; the embedded mode calls this with its own URLs. */
export function mcpConfig(input: {
  resource: string;
  issuer: string;
  resourceName?: string;
  resourceDocumentation?: string | undefined;
}): McpConfig {
  return {
    resource: input.resource,
    issuer: input.issuer,
    resourceMetadataUrl: resourceMetadataUrlFor(input.resource),
    resourceName: input.resourceName ?? 'mcp-auth MCP server',
    resourceDocumentation: input.resourceDocumentation,
  };
}

/** Takes the parsed environment, or just the URLs (the embedded mode has no JWT_PUBLIC_KEYS_PATH). */
export const mcpConfigFrom = (
  env: Pick<McpEnv, 'PUBLIC_URL'> &
    Partial<Pick<McpEnv, 'MCP_RESOURCE_URL' | 'AUTHORIZATION_SERVER_URL' | 'MCP_RESOURCE_DOCUMENTATION'>>,
): McpConfig =>
  mcpConfig({
    resource: env.MCP_RESOURCE_URL ?? `${env.PUBLIC_URL}/mcp`,
    issuer: env.AUTHORIZATION_SERVER_URL ?? env.PUBLIC_URL,
    resourceDocumentation: env.MCP_RESOURCE_DOCUMENTATION,
  });

export const loadMcpEnv = (env: NodeJS.ProcessEnv = process.env): McpEnv => loadConfig(mcpEnv, env);

export const loadMcpServiceEnv = (env: NodeJS.ProcessEnv = process.env) => loadConfig(mcpServiceEnv, env);
