import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export { Redis };

/**
 * A Redis client that fails fast instead of queueing: while Redis is unreachable every command
 * rejects at once (so the MCP service answers 503 at once, not after a hang), and it reconnects
 * by itself in the background.
 */
export function createRedis(
  url: string,
  opts: {
    commandTimeoutMs?: number;
    /**
     * Send the commands issued in one event-loop turn as one write (ioredis auto-pipelining): under
     * concurrent requests a write(2) per command was the largest cost of introspection after the
     * framework itself.
     */
    autoPipelining?: boolean;
  } = {},
): Redis {
  return new Redis(url, {
    enableAutoPipelining: opts.autoPipelining ?? false,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
}

/**
 * Connects in the background and reports on the connection: ioredis emits an error on every
 * failed reconnection attempt, but one line when Redis goes away and one when it is back are what
 * an operator needs. The check it returns (for waitFor and /readyz) names the connection's last
 * error, not just "not connected".
 */
export function watchRedis(redis: Redis, logger: Logger, whenDown: string): () => Promise<unknown> {
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => {
    if (!lastError) logger.warn({ err: err.message }, `Redis unreachable; ${whenDown}`);
    lastError = err;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('Redis reachable again');
    lastError = undefined;
  });
  // A failed first attempt is retried by the client itself; the check watches it come up.
  redis.connect().catch(() => undefined);
  return () =>
    redis.status === 'ready'
      ? redis.ping()
      : Promise.reject(lastError ?? new Error(`connection ${redis.status}`));
}
