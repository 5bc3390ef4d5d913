import type { z } from 'zod';
import { commonEnv, loadConfig, port, postgresUrl, revocationRedisEnv, seconds } from '@mcp-auth/core';

export const registrationEnv = {
  ...commonEnv,
  PORT: port(3001),
  DATABASE_URL: postgresUrl,
  /** The authorization server's access token lifetime: how long a deleted client's tokens need revoking. */
  ACCESS_TOKEN_TTL: seconds(900),
};

/**
 * The standalone service writes to the revocation set too: deleting a client revokes every token it
 * still holds (RFC 7592 §2.3), which the MCP service reads from Redis.
 */
export const registrationServiceEnv = { ...registrationEnv, ...revocationRedisEnv };

export type RegistrationEnv = z.output<z.ZodObject<typeof registrationEnv>>;

export interface RegistrationConfig {
  /** PUBLIC_URL: the base of every `registration_client_uri` we hand out. */
  issuer: string;
  accessTokenTtl: number;
}

export const registrationConfigFrom = (
  env: Pick<RegistrationEnv, 'PUBLIC_URL' | 'ACCESS_TOKEN_TTL'>,
): RegistrationConfig => ({
  issuer: env.PUBLIC_URL,
  accessTokenTtl: env.ACCESS_TOKEN_TTL,
});

export const loadRegistrationServiceEnv = (env: NodeJS.ProcessEnv = process.env) =>
  loadConfig(registrationServiceEnv, env);
