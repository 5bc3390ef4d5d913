import { z } from 'zod';
import {
  commonEnv,
  databasePoolEnv,
  loadConfig,
  policyEnv,
  port,
  postgresUrl,
  revocationRedisEnv,
  seconds,
  type Policy,
} from '@mcp-auth/core';

/**
 * RFC 7591 §3 initial access token: the bearer token the operator sends to register a
 * client_credentials client; unset, no such client can be registered. At least 32 characters so
 * guessing is hopeless (`openssl rand -base64 32` gives 44). The embedded mode reads it too.
 */
export const initialAccessTokenEnv = {
  REGISTRATION_INITIAL_ACCESS_TOKEN: z.string().min(32).optional(),
};

/**
 * Registrations a client address may make per minute, counted by the service itself (shared by
 * its replicas through Redis) behind the gateway's stricter limit. Generous: many people behind
 * one NAT or company proxy share an address.
 */
export const DEFAULT_REGISTRATIONS_PER_MINUTE = 60;

export const registrationEnv = {
  ...commonEnv,
  PORT: port(3001),
  DATABASE_URL: postgresUrl,
  /** The authorization server's access token lifetime: how long a deleted client's tokens need revoking. */
  ACCESS_TOKEN_TTL: seconds(900),
  ...initialAccessTokenEnv,
  REGISTRATION_RATE_LIMIT: z.coerce.number().int().positive().default(DEFAULT_REGISTRATIONS_PER_MINUTE),
  /** The operator's scopes (JSON or YAML): registered scopes are kept to those it declares. */
  MCP_POLICY_PATH: policyEnv.MCP_POLICY_PATH,
};

/**
 * The standalone service writes to the revocation set too: deleting a client revokes every token it
 * still holds (RFC 7592 §2.3), which the MCP service reads from Redis.
 */
export const registrationServiceEnv = { ...registrationEnv, ...revocationRedisEnv, ...databasePoolEnv };

export type RegistrationEnv = z.output<z.ZodObject<typeof registrationEnv>>;

export interface RegistrationConfig {
  /** PUBLIC_URL: the base of every `registration_client_uri` we hand out. */
  issuer: string;
  accessTokenTtl: number;
  /** Required (as a bearer token) to register a client_credentials client; unset, none can be. */
  initialAccessToken?: string;
  /** Registrations per minute per client address (REGISTRATION_RATE_LIMIT); unset, the default. */
  registrationsPerMinute?: number;
  /** The declared scopes (registration keeps only these) and the default scope; loaded once at start. */
  policy: Pick<Policy, 'scopes' | 'defaultScope' | 'servers'>;
}

export const registrationConfigFrom = (
  env: Pick<
    RegistrationEnv,
    'PUBLIC_URL' | 'ACCESS_TOKEN_TTL' | 'REGISTRATION_INITIAL_ACCESS_TOKEN' | 'REGISTRATION_RATE_LIMIT'
  >,
  policy: RegistrationConfig['policy'],
): RegistrationConfig => ({
  issuer: env.PUBLIC_URL,
  accessTokenTtl: env.ACCESS_TOKEN_TTL,
  initialAccessToken: env.REGISTRATION_INITIAL_ACCESS_TOKEN,
  registrationsPerMinute: env.REGISTRATION_RATE_LIMIT,
  policy,
});

export const loadRegistrationServiceEnv = (env: NodeJS.ProcessEnv = process.env) =>
  loadConfig(registrationServiceEnv, env);
