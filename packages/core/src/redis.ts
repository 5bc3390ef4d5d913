import { Redis } from 'ioredis';

export { Redis };

/**
 * A Redis client that fails fast instead of queueing: while Redis is unreachable every command
 * rejects at once (so the MCP service answers 503 at once, not after a hang), and it reconnects
 * by itself in the background.
 */
export function createRedis(url: string, opts: { commandTimeoutMs?: number } = {}): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
}
