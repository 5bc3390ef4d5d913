import { loadPolicy } from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv, type AuthzConfig } from '../../services/authz/src/config.ts';

/**
 * The authorization server's config as production derives it from its environment, for an issuer
 * and resource known only once a test server listens. Refresh tokens last an hour and grants a
 * week here; anything else can be set as an environment variable would be. With MCP_POLICY_PATH the
 * operator's policy names the servers, and `resource` is not used.
 */
export function testAuthzConfig(
  issuer: string,
  resource = `${issuer}/mcp`,
  env: Record<string, string> = {},
): AuthzConfig {
  const parsed = loadAuthzEnv({
    PUBLIC_URL: issuer,
    ...(env.MCP_POLICY_PATH ? {} : { MCP_RESOURCE_URL: resource }),
    // Read by the shape only; these tests hand the app its Prisma client themselves.
    DATABASE_URL: 'postgresql://unused/unused',
    REFRESH_TOKEN_TTL: '3600',
    REFRESH_TOKEN_MAX_LIFETIME: String(7 * 24 * 3600),
    ...env,
  });
  return authzConfigFrom(parsed, loadPolicy(parsed));
}
