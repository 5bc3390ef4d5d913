import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Redis } from './redis.ts';

/**
 * Where rate-limit counters live. With Redis (compose, several replicas) every replica shares each
 * budget; without it (the all-in-one mode, one process) they live in the process.
 */
export interface RateLimitBackend {
  redis: Redis;
  keyPrefix: string;
}

export type RateLimiter = RateLimiterAbstract;

/**
 * A counter of `points` per `durationSeconds` and key (rate-limiter-flexible). Over Redis, it
 * falls back to an in-process counter of the same size while Redis cannot answer: the limit then
 * holds per replica instead of across them, so a Redis outage neither stops the service nor
 * lifts the limit. `name` keeps each counter's keys apart.
 */
export function createRateLimiter(
  backend: RateLimitBackend | undefined,
  opts: { name: string; points: number; durationSeconds: number },
): RateLimiter {
  const memory = new RateLimiterMemory({
    keyPrefix: opts.name,
    points: opts.points,
    duration: opts.durationSeconds,
  });
  if (!backend) return memory;
  return new RateLimiterRedis({
    storeClient: backend.redis,
    keyPrefix: `${backend.keyPrefix}limit:${opts.name}`,
    points: opts.points,
    duration: opts.durationSeconds,
    // Not connected: straight to the in-process counter, not a command that fails after a timeout.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** Takes one point for `key`: 0 when allowed, else the seconds until a point is free again. */
export async function takePoint(limiter: RateLimiter, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (err) {
    if (err instanceof RateLimiterRes) return retryAfterSeconds(err);
    throw err;
  }
}

/** Whole seconds, at least 1, for a Retry-After header. */
export const retryAfterSeconds = (res: Pick<RateLimiterRes, 'msBeforeNext'>) =>
  Math.max(1, Math.ceil(res.msBeforeNext / 1000));
