import { describe, expect, it } from 'vitest';
import { cacheLifetimeSeconds, DocumentCache, type Loaded } from './document-cache.ts';

const bounds = { minSeconds: 60, maxSeconds: 3600, staleSeconds: 300, maxEntries: 100 };

/** A cache over a scripted loader and a hand-moved clock. */
function setup() {
  let now = 1_000_000;
  const loads: string[] = [];
  const stale: string[] = [];
  let next: () => Promise<Loaded<string>> = async () => ({ value: 'v1', lifetimeSeconds: 120 });
  const cache = new DocumentCache<string>(
    async (key) => {
      loads.push(key);
      return next();
    },
    bounds,
    { now: () => now, onStale: (key) => stale.push(key) },
  );
  return {
    cache,
    loads,
    stale,
    advance: (seconds: number) => void (now += seconds * 1000),
    willLoad: (f: () => Promise<Loaded<string>>) => void (next = f),
  };
}

describe('cacheLifetimeSeconds', () => {
  const url = 'https://app.example/client.json';

  it('reads max-age, and Age', () => {
    expect(cacheLifetimeSeconds(url, { 'cache-control': 'max-age=600' })).toBe(600);
    expect(cacheLifetimeSeconds(url, { 'cache-control': 'public, max-age=600', age: '100' })).toBe(500);
  });

  it('is 0 when storing is forbidden or nothing is said', () => {
    expect(cacheLifetimeSeconds(url, { 'cache-control': 'no-store' })).toBe(0);
    expect(cacheLifetimeSeconds(url, { 'cache-control': 'max-age=0' })).toBe(0);
    expect(cacheLifetimeSeconds(url, {})).toBe(0);
  });

  it('reads Expires against Date', () => {
    const date = new Date('2026-01-01T00:00:00Z');
    const expires = new Date(date.getTime() + 900_000);
    const lifetime = cacheLifetimeSeconds(url, { date: date.toUTCString(), expires: expires.toUTCString() });
    expect(lifetime).toBe(900);
  });
});

describe('DocumentCache', () => {
  it('serves the cached copy while fresh, and refetches after its lifetime', async () => {
    const { cache, loads, advance } = setup();
    expect(await cache.get('a')).toBe('v1');
    advance(119);
    expect(await cache.get('a')).toBe('v1');
    expect(loads).toEqual(['a']);
    advance(2);
    await cache.get('a');
    expect(loads).toEqual(['a', 'a']);
  });

  it('keeps a document at least the lower bound, even when it says no-store', async () => {
    const { cache, loads, advance, willLoad } = setup();
    willLoad(async () => ({ value: 'v', lifetimeSeconds: 0 }));
    await cache.get('a');
    advance(59);
    await cache.get('a');
    expect(loads).toHaveLength(1);
    advance(2);
    await cache.get('a');
    expect(loads).toHaveLength(2);
  });

  it('refetches after the upper bound, whatever the document asked for', async () => {
    const { cache, loads, advance, willLoad } = setup();
    willLoad(async () => ({ value: 'v', lifetimeSeconds: 365 * 24 * 3600 }));
    await cache.get('a');
    advance(3599);
    await cache.get('a');
    expect(loads).toHaveLength(1);
    advance(2);
    await cache.get('a');
    expect(loads).toHaveLength(2);
  });

  it('uses the stale copy only briefly when a refresh fails, then fails closed', async () => {
    const { cache, advance, willLoad, stale } = setup();
    await cache.get('a');
    willLoad(async () => {
      throw new Error('site down');
    });
    advance(121);
    expect(await cache.get('a')).toBe('v1');
    expect(stale).toEqual(['a']);
    advance(300);
    await expect(cache.get('a')).rejects.toThrow('site down');
    // The stale copy is gone for good: even a later failure does not bring it back.
    await expect(cache.get('a')).rejects.toThrow('site down');
  });

  it('never caches a failure', async () => {
    const { cache, loads, willLoad } = setup();
    willLoad(async () => {
      throw new Error('bad document');
    });
    await expect(cache.get('a')).rejects.toThrow('bad document');
    willLoad(async () => ({ value: 'fixed', lifetimeSeconds: 60 }));
    expect(await cache.get('a')).toBe('fixed');
    expect(loads).toEqual(['a', 'a']);
  });

  it('shares one fetch between concurrent requests for the same key', async () => {
    const { cache, loads, willLoad } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    willLoad(async () => {
      await gate;
      return { value: 'shared', lifetimeSeconds: 60 };
    });
    const all = Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
    release();
    expect(await all).toEqual(['shared', 'shared', 'shared']);
    expect(loads).toEqual(['a']);
  });

  it('refetches a fresh copy older than maxAgeSeconds when asked to', async () => {
    const { cache, loads, advance, willLoad } = setup();
    await cache.get('a');
    advance(30);
    await cache.get('a', { maxAgeSeconds: 60 });
    expect(loads).toHaveLength(1);
    advance(31);
    willLoad(async () => ({ value: 'v2', lifetimeSeconds: 120 }));
    expect(await cache.get('a', { maxAgeSeconds: 60 })).toBe('v2');
    expect(loads).toHaveLength(2);
  });

  it('keeps at most maxEntries documents', async () => {
    let loadsOfFirst = 0;
    const cache = new DocumentCache<string>(
      async (key) => {
        if (key === 'k0') loadsOfFirst++;
        return { value: key, lifetimeSeconds: 600 };
      },
      { ...bounds, maxEntries: 3 },
    );
    for (const key of ['k0', 'k1', 'k2', 'k3']) await cache.get(key);
    await cache.get('k0');
    expect(loadsOfFirst).toBe(2);
  });
});
