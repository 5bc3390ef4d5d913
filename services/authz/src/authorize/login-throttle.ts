import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRateLimiter,
  retryAfterSeconds,
  type RateLimitBackend,
  type RateLimiter,
} from '@mcp-auth/core';

/**
 * Slows password guessing at the login form (the all-in-one mode has no gateway in front; the
 * gateway's rate limit is a second, coarser fence). Counters are shared through Redis when the
 * services use it, so N replicas allow the same number of guesses as one.
 *
 * Failures are counted per client address and username, and per address alone. Counting per
 * username alone would let anyone lock a person out by failing on purpose; per address it costs
 * an attacker addresses, not the victim access.
 *
 * Parallel guesses: an attempt reserves an in-flight slot before the (slow) password check and
 * may go ahead only while failures plus attempts in flight stay within the limit, so N parallel
 * guesses cannot all pass the check first. The slot is released when the attempt ends: a failure
 * is recorded first (so whoever waits sees it), a success is not counted at all. An attempt that
 * finds the budget taken only by attempts in flight waits for them rather than being refused, so
 * simultaneous correct logins all succeed.
 */
export interface LoginThrottleOptions {
  windowSeconds?: number;
  /** Failures allowed for one username from one address within the window. */
  perUser?: number;
  /** Failures allowed from one address within the window, whatever the usernames. */
  perAddress?: number;
  /** How long an attempt waits for attempts in flight before it is refused. */
  maxWaitMs?: number;
}

/** An attempt that may check the password; it must end with `finish`. */
export interface LoginAttempt {
  /** Records the outcome: 'failure' counts against the limits, 'success' clears the user's. */
  finish(outcome: 'success' | 'failure' | 'abandoned'): Promise<void>;
}

/** Either an attempt may go ahead, or it must wait `retryAfter` seconds. */
export type Admission =
  { attempt: LoginAttempt; retryAfter?: undefined } | { attempt?: undefined; retryAfter: number };

/** A reservation that outlives its replica (killed mid-check) lapses after this. */
const IN_FLIGHT_SECONDS = 60;

export class LoginThrottle {
  private readonly failures: RateLimiter;
  private readonly inFlight: RateLimiter;
  private readonly perUser: number;
  private readonly perAddress: number;
  private readonly maxWaitMs: number;

  constructor(backend: RateLimitBackend | undefined, opts: LoginThrottleOptions = {}) {
    this.perUser = opts.perUser ?? 5;
    this.perAddress = opts.perAddress ?? 30;
    // Long enough for a few rounds of password checks (scrypt) on a busy machine; no longer than
    // the usual proxy timeout, so the answer is a 429, not a gateway error.
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
    // Only penalty/reward/get/delete are used, so `points` plays no part.
    const window = opts.windowSeconds ?? 15 * 60;
    this.failures = createRateLimiter(backend, {
      name: 'login-failures',
      points: 1,
      durationSeconds: window,
    });
    this.inFlight = createRateLimiter(backend, {
      name: 'login-in-flight',
      points: 1,
      durationSeconds: IN_FLIGHT_SECONDS,
    });
  }

  /** Lets an attempt check the password, or says how many seconds to wait. */
  async admit(address: string, username: string): Promise<Admission> {
    const keys = [
      { key: userKey(address, username), limit: this.perUser },
      { key: addressKey(address), limit: this.perAddress },
    ];
    const deadline = Date.now() + this.maxWaitMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      // Reserve first, then read the failures: an attempt that ends meanwhile records its failure
      // before releasing its slot, so one of the two reads always sees it.
      const reserved = await Promise.all(keys.map(({ key }) => this.inFlight.penalty(key)));
      const failed = await Promise.all(keys.map(({ key }) => this.failures.get(key)));
      const release = () => Promise.all(keys.map(({ key }) => this.inFlight.reward(key)));

      const blocked = keys.findIndex(({ limit }, i) => (failed[i]?.consumedPoints ?? 0) >= limit);
      if (blocked >= 0) {
        await release();
        return { retryAfter: retryAfterSeconds(failed[blocked]!) };
      }
      const fits = keys.every(
        ({ limit }, i) => (failed[i]?.consumedPoints ?? 0) + reserved[i]!.consumedPoints <= limit,
      );
      if (fits) return { attempt: this.attempt(keys[0]!.key, keys[1]!.key, release) };
      await release();
      // Only attempts in flight stand in the way: wait for them to end, then look again.
      if (Date.now() >= deadline) return { retryAfter: 1 };
      // Jittered, so that waiters do not all look again at the same moment.
      await sleep(pause / 2 + Math.random() * pause);
    }
  }

  private attempt(user: string, address: string, release: () => Promise<unknown>): LoginAttempt {
    let finished = false;
    return {
      finish: async (outcome) => {
        if (finished) return;
        finished = true;
        try {
          if (outcome === 'failure') {
            await Promise.all([this.failures.penalty(user), this.failures.penalty(address)]);
          } else if (outcome === 'success') {
            await this.failures.delete(user);
          }
        } finally {
          await release();
        }
      },
    };
  }
}

// NUL cannot occur in an address, so no username can make one key look like another.
const userKey = (address: string, username: string) => `u:${address}\u0000${username.toLowerCase()}`;
const addressKey = (address: string) => `a:${address}`;
