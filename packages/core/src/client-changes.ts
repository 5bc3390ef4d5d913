import pg from 'pg';
import type { Logger } from './logger.ts';

/** The channel the `oauth_clients` trigger notifies (migration 20261205030000). */
export const CLIENT_CHANGED_CHANNEL = 'oauth_client_changed';
/** The message that means "anything may have changed": drop every cached client. */
export const ALL_CLIENTS = '*';

/**
 * Changes to client rows, as PostgreSQL announces them to every process (LISTEN/NOTIFY), so that
 * each replica can keep client records in memory and still see an update or a delete made by
 * another (the registration service, the admin layer, housekeeping) at once. Postgres, not Redis:
 * the embedded mode has no Redis, and the trigger catches every writer, including ones that forget.
 */
export interface ClientChangeFeed {
  /** Called with a client id, or ALL_CLIENTS; returns the unsubscribe function. */
  subscribe(listener: (clientId: string) => void): () => void;
  /**
   * True while notifications are being received. While false (not yet connected, or the listening
   * connection broke) a cache must not keep what it reads: a change could go unannounced.
   */
  readonly live: boolean;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * Listens on one dedicated connection (LISTEN needs a session, so not the pool's). A broken
 * connection is retried with backoff; every (re)connect announces ALL_CLIENTS, since messages sent
 * while nobody listened are lost.
 */
export function listenForClientChanges(databaseUrl: string, logger: Logger): ClientChangeFeed {
  const listeners = new Set<(clientId: string) => void>();
  let live = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const announce = (clientId: string) => {
    for (const l of listeners) l(clientId);
  };

  const lost = (err?: Error) => {
    if (live) logger.warn({ err }, 'client change notifications lost; client records are read uncached');
    live = false;
    client = undefined;
    announce(ALL_CLIENTS);
    if (closed) return;
    retryTimer = setTimeout(connect, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  async function connect() {
    // A connect that hangs is retried like one refused; TCP keepalive lets the kernel notice a
    // peer that vanished without closing (until then, the cache's TTL bounds what stays stale).
    const c = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let failed = false;
    const fail = (err?: Error) => {
      if (failed) return;
      failed = true;
      c.removeAllListeners();
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      lost(err);
    };
    c.on('error', fail);
    c.on('end', () => fail());
    c.on('notification', (n) => {
      if (n.channel === CLIENT_CHANGED_CHANNEL) announce(n.payload ?? ALL_CLIENTS);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CLIENT_CHANGED_CHANNEL}`);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (closed) {
      fail();
      return;
    }
    client = c;
    retryMs = RETRY_MIN_MS;
    // Whatever was read before now may have changed unannounced.
    announce(ALL_CLIENTS);
    live = true;
  }

  void connect();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get live() {
      return live;
    },
    async close() {
      closed = true;
      live = false;
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
      announce(ALL_CLIENTS);
    },
  };
}
