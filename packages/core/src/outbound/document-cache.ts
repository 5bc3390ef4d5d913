import type { IncomingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';
import { LRUCache } from 'lru-cache';

/** How long fetched documents are kept, whatever their Cache-Control says. */
export interface CacheBounds {
  /** Lower bound: a document that says no-store or max-age=0 is still kept this long. */
  minSeconds: number;
  /** Upper bound: a document that asks for a year is refetched after this. */
  maxSeconds: number;
  /**
   * After its lifetime, how long a document may still be used when refetching it fails: a short
   * outage of the client's site does not lock its users out, a long one does (fail closed).
   */
  staleSeconds: number;
  /** At most this many documents are kept (least recently used go first). */
  maxEntries: number;
}

export interface Loaded<T> {
  value: T;
  /** What the response's caching headers allow, before the bounds apply. */
  lifetimeSeconds: number;
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
  freshUntil: number;
  staleUntil: number;
}

/**
 * The lifetime a response's headers allow (Cache-Control max-age, Expires, Age…; RFC 9111),
 * computed by http-cache-semantics as a private cache would. 0 when they forbid storing it.
 */
export function cacheLifetimeSeconds(url: string, headers: IncomingHttpHeaders): number {
  const policy = new CachePolicy(
    { url, method: 'GET', headers: {} },
    { status: 200, headers: headers as Record<string, string> },
    { shared: false },
  );
  // Rounded: the milliseconds between building the policy and asking it are not a lost second.
  return policy.storable() ? Math.round(policy.timeToLive() / 1000) : 0;
}

/**
 * A per-key cache of fetched documents, for CIMD documents and client JWKS. Failures are never
 * cached (the draft forbids caching errors and invalid documents); concurrent misses for one key
 * share a single fetch.
 */
export class DocumentCache<T> {
  private readonly entries: LRUCache<string, Entry<T>>;
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    private readonly load: (key: string) => Promise<Loaded<T>>,
    private readonly bounds: CacheBounds,
    private readonly hooks: {
      /** Called when a stale copy is served because refreshing failed. */
      onStale?: (key: string, err: unknown) => void;
      now?: () => number;
    } = {},
  ) {
    this.entries = new LRUCache({ max: bounds.maxEntries });
  }

  private now(): number {
    return this.hooks.now?.() ?? Date.now();
  }

  /**
   * The document for `key`: the cached one while fresh, else a fresh fetch (a failed one falls back
   * to the stale copy within its grace period). `maxAgeSeconds` makes a cached copy older than that
   * count as expired, for a caller that has reason to think it changed (an unknown key id).
   */
  async get(key: string, opts: { maxAgeSeconds?: number } = {}): Promise<T> {
    const entry = this.entries.get(key);
    const now = this.now();
    const tooOld =
      opts.maxAgeSeconds !== undefined && entry && now - entry.fetchedAt > opts.maxAgeSeconds * 1000;
    if (entry && now < entry.freshUntil && !tooOld) return entry.value;
    try {
      return await this.refresh(key);
    } catch (err) {
      const stale = this.entries.get(key);
      if (stale && this.now() < stale.staleUntil) {
        this.hooks.onStale?.(key, err);
        return stale.value;
      }
      this.entries.delete(key);
      throw err;
    }
  }

  /** Forgets a key, so the next get fetches it. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private refresh(key: string): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = this.load(key)
      .then(({ value, lifetimeSeconds }) => {
        const { minSeconds, maxSeconds, staleSeconds } = this.bounds;
        const lifetime = Math.min(Math.max(lifetimeSeconds, minSeconds), maxSeconds);
        const fetchedAt = this.now();
        const freshUntil = fetchedAt + lifetime * 1000;
        this.entries.set(key, { value, fetchedAt, freshUntil, staleUntil: freshUntil + staleSeconds * 1000 });
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }
}
