import { LRUCache } from 'lru-cache';
import { ALL_CLIENTS, type ClientChangeFeed, type OAuthClient } from '@mcp-auth/core';

/**
 * How long a cached client record may be used without a change notification: the backstop for a
 * notification that never arrives while the listening connection still looks healthy.
 */
const CLIENT_CACHE_TTL_MS = 30_000;
const CLIENT_CACHE_MAX_ENTRIES = 10_000;

/**
 * Registered client records kept in this process, so the token and introspection endpoints need no
 * database round trip to authenticate a client. Correct across replicas because every change to a
 * client row is announced by Postgres (ClientChangeFeed) and drops the entry everywhere; records are
 * kept only while that feed is live, and at most CLIENT_CACHE_TTL_MS.
 */
export class ClientCache {
  private readonly entries = new LRUCache<string, OAuthClient>({
    max: CLIENT_CACHE_MAX_ENTRIES,
    ttl: CLIENT_CACHE_TTL_MS,
  });
  /**
   * Counts invalidations. A read that started before one may have seen the old row, so it is not
   * stored: otherwise a slow read could put a deleted client back after its notification.
   */
  private generation = 0;

  constructor(private readonly feed: ClientChangeFeed) {
    feed.subscribe((clientId) => {
      this.generation++;
      if (clientId === ALL_CLIENTS) this.entries.clear();
      else this.entries.delete(clientId);
    });
  }

  get(clientId: string): OAuthClient | undefined {
    return this.feed.live ? this.entries.get(clientId) : undefined;
  }

  /** A token to pass to `store` once the row, read after this call, is in hand. */
  beforeRead(): number {
    return this.generation;
  }

  store(client: OAuthClient, readStartedAt: number): void {
    if (this.feed.live && readStartedAt === this.generation) this.entries.set(client.id, client);
  }
}
