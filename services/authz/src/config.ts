import { z } from 'zod';
import {
  baseUrl,
  commonEnv,
  databasePoolEnv,
  loadConfig,
  passwordHashEnv,
  policyEnv,
  port,
  postgresUrl,
  revocationRedisEnv,
  seconds,
  SIGNING_ALGORITHMS,
  type Policy,
} from '@mcp-auth/core';
import { upstreamOidcEnv, upstreamOidcFrom, type UpstreamOidcConfig } from './upstream/upstream-config.ts';

/** What the authorization server reads in every mode, the embedded one included. */
export const authzEnv = {
  ...commonEnv,
  PORT: port(3002),
  DATABASE_URL: postgresUrl,
  /** Where a generated signing key is kept when JWT_PRIVATE_KEY_PATH is not set. */
  DATA_DIR: z.string().default('.data'),
  JWT_ALG: z.enum(SIGNING_ALGORITHMS).default('RS256'),
  JWT_PRIVATE_KEY_PATH: z.string().optional(),
  /** After a key rotation: the old public key(s) (PEM or JWKS), valid until their tokens expire. */
  JWT_PREVIOUS_PUBLIC_KEYS_PATH: z.string().optional(),
  /** The operator's scopes and protected servers (JSON or YAML); without it, the demo's. */
  MCP_POLICY_PATH: policyEnv.MCP_POLICY_PATH,
  /** Without a policy that lists servers: the one protected resource (RFC 8707); default PUBLIC_URL/mcp. */
  MCP_RESOURCE_URL: baseUrl.optional(),
  ACCESS_TOKEN_TTL: seconds(900),
  REFRESH_TOKEN_TTL: seconds(30 * 24 * 3600),
  /** A grant's absolute lifetime: refresh tokens rotate, but no successor outlives this. */
  REFRESH_TOKEN_MAX_LIFETIME: seconds(90 * 24 * 3600),
  AUTH_CODE_TTL: seconds(60),
  /** How long a person has to log in and consent after /authorize. */
  AUTH_REQUEST_TTL: seconds(600),
  /** A remembered sign-in ends after this long unused, seconds. */
  SESSION_IDLE_TTL: seconds(12 * 3600),
  /** ... and this long after the password was typed, however much it is used. */
  SESSION_MAX_LIFETIME: seconds(7 * 24 * 3600),
  /** A remembered consent is asked again this long after the person last approved it, seconds (365 days). */
  CONSENT_LIFETIME: seconds(365 * 24 * 3600),
  /** How often expired codes, requests, refresh tokens and revocation records are deleted. */
  HOUSEKEEPING_INTERVAL: seconds(300),
  /**
   * Housekeeping removes clients with no token issued for this many seconds (30 days); 0 keeps
   * every client. Less than a day would remove clients whose person has not signed in yet.
   */
  CLIENT_RETENTION: z.coerce
    .number()
    .int()
    .nonnegative()
    .refine((v) => v === 0 || v >= 86_400, 'must be 0 (keep clients) or at least 86400 (one day)')
    .default(30 * 24 * 3600),
  /**
   * Housekeeping deletes audit events older than this many seconds (default 90 days); 0 keeps
   * them all. Less than a day would lose the record of an incident before anyone looked.
   */
  AUDIT_RETENTION: z.coerce
    .number()
    .int()
    .nonnegative()
    .refine((v) => v === 0 || v >= 86_400, 'must be 0 (keep every event) or at least 86400 (one day)')
    .default(90 * 24 * 3600),
  /**
   * The operator credential of the admin API (/admin/v1); unset, the API is off (404). At least
   * 32 characters: it grants everything an operator can do.
   */
  ADMIN_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Development and tests only: let Client ID Metadata Documents and client JWKS come from
   * loopback and private addresses (still https). Off, such addresses are refused (SSRF guard).
   */
  CIMD_ALLOW_PRIVATE_NETWORK: z.stringbool().default(false),
  /** Read by core's password module; listed here so that a bad value stops the start. */
  ...passwordHashEnv,
  ...upstreamOidcEnv,
};

/**
 * The standalone service (compose, local stack) also needs Redis: it writes the fast copy of the
 * revocation set that the MCP service reads. The embedded mode has no Redis.
 */
export const authzServiceEnv = {
  ...authzEnv,
  ...revocationRedisEnv,
  ...databasePoolEnv,
};

export type AuthzEnv = z.output<z.ZodObject<typeof authzEnv>>;

export interface AuthzConfig {
  issuer: string;
  /**
   * The scopes this issuer grants (with their consent wording and the default), and the protected
   * servers: an access token's `aud` is one of their resource URLs (RFC 8707). Loaded once at start.
   */
  policy: Policy;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshTokenMaxLifetime: number;
  authCodeTtl: number;
  authRequestTtl: number;
  sessionIdleTtl: number;
  sessionMaxLifetime: number;
  consentLifetime: number;
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean;
  /** CIMD_ALLOW_PRIVATE_NETWORK: documents and keys may come from loopback and private addresses. */
  outboundAllowPrivateNetwork: boolean;
  /** PASSWORD_LOGIN: whether the password forms are offered and accepted. */
  passwordLogin: boolean;
  /** Signing in through an upstream OpenID Connect provider, when configured. */
  upstreamOidc?: UpstreamOidcConfig | undefined;
  /** ADMIN_API_TOKEN: the admin API is served only when it is set. */
  adminApiToken?: string;
}

/** `policy` is `loadPolicy(env)`, read once by whoever starts the server (main, the all-in-one mode). */
export function authzConfigFrom(env: AuthzEnv, policy: Policy): AuthzConfig {
  return {
    issuer: env.PUBLIC_URL,
    policy,
    accessTokenTtl: env.ACCESS_TOKEN_TTL,
    refreshTokenTtl: env.REFRESH_TOKEN_TTL,
    refreshTokenMaxLifetime: env.REFRESH_TOKEN_MAX_LIFETIME,
    authCodeTtl: env.AUTH_CODE_TTL,
    authRequestTtl: env.AUTH_REQUEST_TTL,
    sessionIdleTtl: env.SESSION_IDLE_TTL,
    sessionMaxLifetime: env.SESSION_MAX_LIFETIME,
    consentLifetime: env.CONSENT_LIFETIME,
    secureCookies: env.PUBLIC_URL.startsWith('https:'),
    outboundAllowPrivateNetwork: env.CIMD_ALLOW_PRIVATE_NETWORK,
    passwordLogin: env.PASSWORD_LOGIN,
    upstreamOidc: upstreamOidcFrom(env),
    adminApiToken: env.ADMIN_API_TOKEN,
  };
}

export const loadAuthzEnv = (env: NodeJS.ProcessEnv = process.env): AuthzEnv => loadConfig(authzEnv, env);

export const loadAuthzServiceEnv = (env: NodeJS.ProcessEnv = process.env) => loadConfig(authzServiceEnv, env);
