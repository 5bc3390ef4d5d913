import { Cluster, Redis as Standalone, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * What every part of mcp-auth talks to: one server or a Sentinel-managed master (ioredis `Redis`),
 * or a Cluster. Both have the commands mcp-auth uses; code that takes one takes either.
 */
export type Redis = Standalone | Cluster;
export { Cluster };

/**
 * Where Redis is, from REDIS_URL. One variable in three forms, so a deployment changes topology
 * without new variables and the password stays in the one secret that holds the URL:
 *   redis://[user:password@]host:port[/db]                      one server (rediss:// for TLS)
 *   redis-sentinel://[user:password@]host:port,host:port/name   the master `name` of these Sentinels
 *   redis-cluster://[user:password@]host:port,host:port         a Cluster, from these seed nodes
 * (rediss-sentinel:// and rediss-cluster:// for TLS). The password is the data nodes'; Sentinels
 * that have their own take `?sentinel_password=…`.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      auth: RedisAuth;
      sentinelPassword?: string;
      tls: boolean;
    }
  | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth; tls: boolean };

interface HostPort {
  host: string;
  port: number;
}
interface RedisAuth {
  username?: string;
  password?: string;
}

const MULTI_NODE =
  /^(rediss?)-(sentinel|cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/;

/** Parses REDIS_URL; throws an Error whose message says what is wrong (config validation shows it). */
export function parseRedisUrl(value: string): RedisTarget {
  if (/^rediss?:\/\//.test(value)) {
    // ioredis parses this form itself; only check that it is a URL with a host.
    if (!URL.canParse(value) || !new URL(value).hostname) throw new Error('must be redis://host:port');
    return { kind: 'server', url: value };
  }
  const m = MULTI_NODE.exec(value);
  if (!m) {
    throw new Error(
      'must be redis://host:port, redis-sentinel://host:port,host:port/master-name or redis-cluster://host:port,host:port',
    );
  }
  const [, scheme, kind, user, password, hostList, path, query] = m;
  const nodes = hostList!.split(',').map(parseHostPort);
  const auth: RedisAuth = {};
  if (user) auth.username = decodeURIComponent(user);
  if (password) auth.password = decodeURIComponent(password);
  const params = new URLSearchParams(query ?? '');
  const tls = scheme === 'rediss';
  if (kind === 'cluster') {
    if (path) throw new Error('redis-cluster:// takes no path (a Cluster has no databases)');
    return { kind: 'cluster', nodes, auth, tls };
  }
  const name = decodeURIComponent(path ?? '');
  if (!name) throw new Error('redis-sentinel:// needs the master name as its path: …/mymaster');
  const sentinelPassword = params.get('sentinel_password') ?? undefined;
  return {
    kind: 'sentinel',
    sentinels: nodes,
    name,
    auth,
    tls,
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

function parseHostPort(item: string): HostPort {
  // [v6]:port or host:port; the port is required so that no node is silently on a default.
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(item.trim());
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw new Error(`"${item}" is not host:port`);
  return { host: m[1] ?? m[2]!, port };
}

/**
 * A Redis client that fails fast instead of queueing: while Redis is unreachable every command
 * rejects at once (so the MCP service answers 503 at once, not after a hang), and it reconnects
 * by itself in the background. The same behaviour for the three topologies of REDIS_URL.
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
  const enableAutoPipelining = opts.autoPipelining ?? false;
  const perConnection: RedisOptions = {
    enableAutoPipelining,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  const target = parseRedisUrl(url);
  if (target.kind === 'server') return new Standalone(url, { lazyConnect: true, ...perConnection });
  const tls = target.tls ? { tls: {} } : {};
  if (target.kind === 'sentinel') {
    return new Standalone({
      ...perConnection,
      ...target.auth,
      ...tls,
      lazyConnect: true,
      sentinels: target.sentinels,
      name: target.name,
      ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      // Sentinels announce a failover (+switch-master): reconnect to the new master at once
      // rather than when the old one's connection breaks.
      failoverDetector: true,
      // A demoted master answers writes with READONLY: reconnect, which asks the Sentinels again.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  }
  const cluster: ClusterOptions = {
    lazyConnect: true,
    enableAutoPipelining,
    enableOfflineQueue: false,
    redisOptions: { ...perConnection, ...target.auth, ...tls },
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    // MOVED/ASK after a resharding or failover are followed, a few times, within the command.
    maxRedirections: 5,
    // Ask for the slot map every 5 s too (off by default): a failover is noticed even by a client
    // that sends nothing meanwhile (the revocation writers copy the set again on a change of masters).
    slotsRefreshInterval: 5000,
  };
  return new Cluster(target.nodes, cluster);
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
