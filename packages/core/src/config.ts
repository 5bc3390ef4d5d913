import { z } from 'zod';
import type { Logger } from './logger.ts';
import { isLoopbackHost } from './redirect-uri.ts';
import { parseRedisUrl } from './redis.ts';

/** A configuration problem found at start-up; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses environment variables against a zod shape. Each failure names the variable, so an
 * operator sees "PUBLIC_URL: Invalid URL" rather than a stack trace.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<z.ZodObject<S>> {
  // An empty value is unset: compose files and shells write `VAR=` for "not given".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = z.object(shape).superRefine(checkPublicUrlScheme).safeParse(given);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const missing = issue.code === 'invalid_type' && given[name] === undefined;
    return `${name}: ${missing ? 'is required but not set' : issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

/** An absolute http(s) URL without a trailing slash (an issuer or resource base). */
export const baseUrl = z
  .url({ protocol: /^https?$/ })
  .transform((u) => u.replace(/\/+$/, ''))
  .refine((u) => !u.includes('?') && !u.includes('#'), 'must not contain a query or fragment');

/**
 * PUBLIC_URL: the issuer and the base of every resource URL. Only an origin: with a path
 * (https://example.com/auth) the issuer's RFC 8414 §3.1 metadata URL would be
 * https://example.com/.well-known/oauth-authorization-server/auth and the endpoints
 * https://example.com/auth/oauth/…, which the gateway and the services do not route (they serve
 * at the root). Refused at start rather than advertised and answered with 404s: an operator who
 * shares a host with other sites gives mcp-auth its own host name instead.
 */
export const publicUrl = baseUrl.refine(
  (u) => new URL(u).pathname === '/',
  'must be an origin without a path (https://auth.example.com, not https://example.com/auth); give mcp-auth its own host name',
);

/**
 * An `http` PUBLIC_URL sends tokens, passwords and cookies (without `Secure`) in clear text, so it
 * is accepted only on a loopback host (development) unless the operator says otherwise: every
 * shape that declares PUBLIC_URL gets this rule through loadConfig.
 */
function checkPublicUrlScheme(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const url = env.PUBLIC_URL;
  if (typeof url !== 'string' || !isInsecurePublicUrl(url) || env.ALLOW_INSECURE_PUBLIC_URL === true) return;
  ctx.addIssue({
    code: 'custom',
    path: ['PUBLIC_URL'],
    message:
      'http is allowed only on a loopback host (localhost, 127.0.0.1, ::1); use https, or set ALLOW_INSECURE_PUBLIC_URL=true to accept clear text',
  });
}

/** An http URL whose host is not this machine: what ALLOW_INSECURE_PUBLIC_URL must allow. */
export const isInsecurePublicUrl = (url: string): boolean => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && !isLoopbackHost(hostname);
};

/** "true"/"false" (also 1/0, yes/no, on/off); unset is false. */
export const flag = () => z.stringbool().default(false);

/** PUBLIC_URL and its one escape hatch, for every service's shape and the all-in-one mode. */
export const publicUrlEnv = {
  PUBLIC_URL: publicUrl,
  ALLOW_INSECURE_PUBLIC_URL: flag(),
};

/** Says at start, as a warning, that the operator chose a clear-text public URL. */
export function warnIfInsecurePublicUrl(logger: Logger, publicUrlValue: string): void {
  if (!isInsecurePublicUrl(publicUrlValue)) return;
  logger.warn(
    { publicUrl: publicUrlValue },
    'ALLOW_INSECURE_PUBLIC_URL=true: PUBLIC_URL is http on a non-loopback host; tokens, passwords and cookies travel in clear text',
  );
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Durations in seconds, e.g. ACCESS_TOKEN_TTL=900. */
export const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
/**
 * REDIS_URL: one server (redis://), a Sentinel-managed master (redis-sentinel://) or a Cluster
 * (redis-cluster://); see parseRedisUrl. Checked here so a typo stops the start with one line.
 */
export const redisUrl = z.string().superRefine((value, ctx) => {
  try {
    parseRedisUrl(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * The connection pool of a standalone service (sizes and timeouts for a managed PostgreSQL, Patroni
 * or PgBouncer: see the README, High availability). Milliseconds, as PostgreSQL counts them.
 */
export const databasePoolEnv = {
  /** Connections per process; replicas × this must stay under the server's (or pooler's) limit. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).optional(),
  /** A statement running longer is cancelled by PostgreSQL and the request answers 503; 0: no limit. */
  DATABASE_STATEMENT_TIMEOUT: z.coerce.number().int().min(0).max(600_000).default(15_000),
  /** Opening a connection gives up after this, so a dead primary answers 503 rather than hanging. */
  DATABASE_CONNECT_TIMEOUT: z.coerce.number().int().min(100).max(120_000).default(5_000),
};

/** Variables every service reads. */
export const commonEnv = {
  ...publicUrlEnv,
  LOG_LEVEL: logLevel,
};

/**
 * Redis for the revocation set, as every standalone service that reads or writes it takes it. The
 * prefix must be the same in all of them.
 */
export const revocationRedisEnv = {
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: z.string().min(1).default('mcp-auth:'),
};
