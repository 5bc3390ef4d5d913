import { z } from 'zod';

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
  const result = z.object(shape).safeParse(given);
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

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Durations in seconds, e.g. ACCESS_TOKEN_TTL=900. */
export const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
export const redisUrl = z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL');

/** Variables every service reads. */
export const commonEnv = {
  PUBLIC_URL: baseUrl,
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
