import type { RequestHandler } from 'express';
import { createRateLimiter, OAuthError, takePoint } from '@mcp-auth/core';
import { DEFAULT_REGISTRATIONS_PER_MINUTE } from './config.ts';
import type { RegistrationDeps } from './deps.ts';

/**
 * Limits client registrations (RFC 7591 POST) per client address, before the body is read: each
 * one writes a row. Over Redis the budget is shared by every replica; while Redis cannot answer,
 * each replica keeps its own (see createRateLimiter). The answer beyond it is the gateway's own:
 * 429 with RFC 6749's temporarily_unavailable and a Retry-After.
 */
export function registrationRateLimit(
  deps: Pick<RegistrationDeps, 'config' | 'rateLimits' | 'logger'>,
): RequestHandler {
  const limiter = createRateLimiter(deps.rateLimits, {
    name: 'register',
    points: deps.config.registrationsPerMinute ?? DEFAULT_REGISTRATIONS_PER_MINUTE,
    durationSeconds: 60,
  });
  return async (req, _res, next) => {
    const address = req.ip ?? 'unknown';
    const wait = await takePoint(limiter, address);
    if (wait === 0) return next();
    deps.logger.warn({ address }, 'registration rate limited');
    throw new OAuthError('temporarily_unavailable', 'too many registration requests; retry later', 429, {
      'Retry-After': String(wait),
    });
  };
}
