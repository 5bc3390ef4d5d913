/**
 * Slows password guessing at the login form, in the process (so the all-in-one mode, which has no
 * gateway in front, is covered too; the gateway's rate limit is a second, coarser fence).
 *
 * Failures are counted per client address and username, and per address alone, in a sliding
 * window. Counting per username alone would let anyone lock a person out by failing on purpose;
 * per address it costs an attacker addresses, not the victim access.
 */
export interface LoginThrottleOptions {
  windowMs?: number;
  /** Failures allowed for one username from one address within the window. */
  perUser?: number;
  /** Failures allowed from one address within the window, whatever the usernames. */
  perAddress?: number;
  /** Entries kept at most; the oldest go first (memory stays bounded under a flood). */
  maxEntries?: number;
  now?: () => number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly perUser: number;
  private readonly perAddress: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.perUser = opts.perUser ?? 5;
    this.perAddress = opts.perAddress ?? 30;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  /** Seconds to wait before trying again, or 0 when an attempt may be made now. */
  retryAfter(address: string, username: string): number {
    return Math.max(this.wait(userKey(address, username), this.perUser), this.wait(address, this.perAddress));
  }

  recordFailure(address: string, username: string): void {
    this.add(userKey(address, username));
    this.add(address);
  }

  /**
   * A successful login clears that username's failures from that address, and takes back the one
   * the attempt itself recorded against the address (attempts are counted before the password is
   * checked, so that parallel guesses cannot all pass the check first).
   */
  recordSuccess(address: string, username: string): void {
    this.failures.delete(userKey(address, username));
    const times = this.failures.get(address);
    times?.pop();
    if (times && times.length === 0) this.failures.delete(address);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (times.length) this.failures.set(key, times);
    else this.failures.delete(key);
    return times;
  }

  private wait(key: string, limit: number): number {
    const times = this.recent(key);
    if (times.length < limit) return 0;
    // Blocked until the oldest failure that still counts leaves the window.
    const oldest = times[times.length - limit]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  private add(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > this.maxEntries)
      this.failures.delete(this.failures.keys().next().value as string);
  }
}

const userKey = (address: string, username: string) => `${address}\u0000${username.toLowerCase()}`;
