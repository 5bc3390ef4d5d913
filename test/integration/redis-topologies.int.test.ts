import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cluster,
  connectServices,
  createLogger,
  createRateLimiter,
  createRedis,
  revocationCompleteKey,
  revocationKeysOf,
  takePoint,
  type RevocationEntry,
  type RevocationSubject,
  type ServiceConnections,
} from '@mcp-auth/core';
import { redisRevocationChecker } from '@mcp-auth/resource-server';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { freePort, start } from '../support/processes.ts';
import { addClient, addUser, callMcp, obtainTokens, revokeToken } from '../support/oauth-flow.ts';
import {
  startRedisCluster,
  type ClusterSetup,
  startRedisSentinel,
  until,
  type SentinelSetup,
} from '../support/redis-topologies.ts';
import { startTokenStack } from './token-stack.ts';

// The revocation set, its rebuild, the resource-server library's check and the rate limiter, over
// a real Redis Cluster and a real Sentinel-managed master, both started here from the system's
// redis-server and reached through REDIS_URL exactly as the services reach Redis
// (connectServices → createRedis).

const keyPrefix = 'mcp-auth:';
const inAMinute = () => new Date(Date.now() + 60_000);
const token = (): RevocationSubject => ({
  jti: randomUUID(),
  sid: randomUUID(),
  client_id: randomUUID(),
  sub: randomUUID(),
  iat: Math.floor(Date.now() / 1000),
});
const logger = createLogger('redis-topologies', 'silent');

let db: TestDatabase;
beforeAll(async () => {
  db = await startPostgres();
});
afterAll(async () => {
  await db?.stop();
});

/** Every entry kind revoked and read back, by the store and by the library as another server would. */
async function exerciseRevocation(connections: ServiceConnections, url: string): Promise<void> {
  const { revocation } = connections;
  const [byJti, bySid, byClient, bySignOut, untouched] = [token(), token(), token(), token(), token()];
  const entries: RevocationEntry[] = [
    { kind: 'jti', value: byJti.jti, expiresAt: inAMinute() },
    { kind: 'sid', value: bySid.sid, expiresAt: inAMinute() },
    { kind: 'client', value: byClient.client_id, expiresAt: inAMinute() },
    { kind: 'user', value: bySignOut.sub, expiresAt: inAMinute(), notBefore: new Date() },
  ];
  await revocation.rebuild();
  await revocation.revoke(entries);
  for (const t of [byJti, bySid, byClient, bySignOut]) expect(await revocation.isRevoked(t)).toBe(true);
  expect(await revocation.isRevoked(untouched)).toBe(false);

  // A resource server with its own client and no way to rebuild: the library's one MGET.
  const reader = createRedis(url);
  await reader.connect();
  try {
    const checker = redisRevocationChecker({ redis: reader, keyPrefix });
    expect(await checker.isRevoked(byJti)).toBe(true);
    expect(await checker.isRevoked(bySignOut)).toBe(true);
    expect(await checker.isRevoked(untouched)).toBe(false);
  } finally {
    reader.disconnect();
  }
}

describe('Redis Cluster (3 masters)', () => {
  let cluster: ClusterSetup;
  let connections: ServiceConnections;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    connections = await connectServices({
      env: { DATABASE_URL: db.url, REDIS_URL: cluster.url, REDIS_KEY_PREFIX: keyPrefix },
      logger,
      whenRedisDown: 'test',
    });
  });
  afterAll(async () => {
    await connections?.close();
    await cluster?.stop();
  });

  it('connects as a Cluster and keeps every key of one check in one slot', async () => {
    expect(connections.redis).toBeInstanceOf(Cluster);
    const keys = [revocationCompleteKey(keyPrefix), ...revocationKeysOf(keyPrefix, token())];
    const slots = await Promise.all(keys.map((k) => connections.redis.cluster('KEYSLOT', k)));
    expect(new Set(slots).size).toBe(1);
    // And the cluster really spreads other keys over its masters (the tag is what keeps these together).
    const spread = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => connections.redis.cluster('KEYSLOT', k)),
    );
    expect(new Set(spread).size).toBeGreaterThan(1);
  });

  it('revokes and checks every kind of entry, store and library alike', async () => {
    await exerciseRevocation(connections, cluster.url);
  });

  it('rebuilds the set from PostgreSQL after every master was flushed, before answering', async () => {
    const revoked = token();
    await connections.revocation.revoke([{ kind: 'jti', value: revoked.jti, expiresAt: inAMinute() }]);
    const cl = connections.redis as Cluster;
    await Promise.all(cl.nodes('master').map((node) => node.flushall()));
    expect(await cl.exists(revocationCompleteKey(keyPrefix))).toBe(0);
    expect(await connections.revocation.isRevoked(revoked)).toBe(true);
    expect(await cl.exists(revocationCompleteKey(keyPrefix))).toBe(1);
  });

  it('copies the set again when a master fails over to its replica', async () => {
    const cl = connections.redis as Cluster;
    // The master that holds the revocation set's slot, and a replica for it.
    const slot = Number(await cl.cluster('KEYSLOT', revocationCompleteKey(keyPrefix)));
    const ranges = (await cl.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
    const replica = await cluster.addReplica(owner);
    // An entry that reached PostgreSQL but not Redis, as one the old master took in its last moment.
    const lost = token();
    await connections.prisma.revocation.create({
      data: { kind: 'jti', value: lost.jti, expiresAt: inAMinute() },
    });
    await cluster.failover(replica);
    const reader = createRedis(cluster.url);
    await reader.connect();
    try {
      const checker = redisRevocationChecker({ redis: reader, keyPrefix });
      await until('the set to be copied again after the failover', () => checker.isRevoked(lost), 60_000);
      expect(await connections.revocation.isRevoked(token())).toBe(false);
    } finally {
      reader.disconnect();
    }
  }, 120_000);

  it('counts rate limits across the cluster', async () => {
    const limiter = createRateLimiter(
      { redis: connections.redis, keyPrefix },
      { name: `test-${randomUUID()}`, points: 2, durationSeconds: 60 },
    );
    expect(await takePoint(limiter, 'client')).toBe(0);
    expect(await takePoint(limiter, 'client')).toBe(0);
    expect(await takePoint(limiter, 'client')).toBeGreaterThan(0);
  });
});

describe('Redis Sentinel (master, replica, 2 Sentinels)', () => {
  let sentinel: SentinelSetup;
  let connections: ServiceConnections;

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    connections = await connectServices({
      env: { DATABASE_URL: db.url, REDIS_URL: sentinel.url, REDIS_KEY_PREFIX: keyPrefix },
      logger,
      whenRedisDown: 'test',
    });
  });
  afterAll(async () => {
    await connections?.close();
    await sentinel?.stop();
  });

  const connectedPort = async () => Number(/tcp_port:(\d+)/.exec(await connections.redis.info('server'))![1]);

  it('finds the master through the Sentinels', async () => {
    expect(await connectedPort()).toBe(await sentinel.masterPort());
  });

  it('revokes and checks every kind of entry, store and library alike', async () => {
    await exerciseRevocation(connections, sentinel.url);
  });

  it('keeps working through a failover: what was revoked stays revoked, new revocations reach the new master', async () => {
    const before = token();
    await connections.revocation.revoke([{ kind: 'jti', value: before.jti, expiresAt: inAMinute() }]);
    // The replica has the entry before the switch (asynchronous replication, made certain here).
    await connections.redis.call('WAIT', '1', '5000');
    const oldMaster = await sentinel.masterPort();
    // An entry that reached PostgreSQL but not Redis (as one written to the old master in its last
    // moment, which asynchronous replication loses): the writer copies the set again on reconnect.
    const lostInFailover = token();
    await connections.prisma.revocation.create({
      data: { kind: 'jti', value: lostInFailover.jti, expiresAt: inAMinute() },
    });

    await sentinel.failover();
    const newMaster = await sentinel.masterPort();
    expect(newMaster).not.toBe(oldMaster);

    // While the client moves, checks fail closed (RevocationUnavailableError), never "not revoked";
    // then it answers from the new master without a restart.
    const after = token();
    await until('a revocation written after the failover', async () => {
      await connections.revocation.revoke([{ kind: 'sid', value: after.sid, expiresAt: inAMinute() }]);
      return true;
    });
    expect(await connectedPort()).toBe(newMaster);
    expect(await connections.revocation.isRevoked(before)).toBe(true);
    expect(await connections.revocation.isRevoked(after)).toBe(true);
    expect(await connections.revocation.isRevoked(token())).toBe(false);
    expect(await connections.checks.redis!()).toBe('PONG');
    const reader = createRedis(sentinel.url);
    await reader.connect();
    try {
      const checker = redisRevocationChecker({ redis: reader, keyPrefix });
      await until('the set to be copied again after the failover', () => checker.isRevoked(lostInFailover));
    } finally {
      reader.disconnect();
    }
  }, 90_000);
});

/**
 * The MCP service's own main.ts as a process with REDIS_URL in the form given: its configuration
 * accepts it, and it becomes ready (/readyz checks Redis).
 */
async function serviceIsReady(redisUrl: string): Promise<void> {
  const port = await freePort();
  const mcp = start(
    process.execPath,
    ['--import', 'tsx', 'services/mcp/src/main.ts'],
    {
      PORT: String(port),
      PUBLIC_URL: 'http://localhost:8080',
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      LOG_LEVEL: 'info',
    },
    { detached: true },
  );
  try {
    await mcp.waitFor(/listening/i, 60_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status, mcp.output()).toBe(200);
  } finally {
    await mcp.stopGroup();
  }
}

/** authz and mcp as in compose, over `url`: a token works at the MCP endpoint until it is revoked. */
async function fullFlow(url: string): Promise<void> {
  const stack = await startTokenStack({ redisUrl: url });
  try {
    const cli = { clientId: 'cli' };
    await addClient(stack.prisma, cli);
    const alice = await addUser(stack.prisma, 'alice');
    const tokens = await obtainTokens({
      issuer: stack.issuer,
      client: cli,
      user: alice,
      resource: stack.resource,
    });
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, tokens.accessToken)).status).toBe(200);
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(401);
  } finally {
    await stack.close();
  }
}

describe('the MCP service process, started with REDIS_URL', () => {
  it('redis-cluster://… is ready', async () => {
    const cluster = await startRedisCluster(3);
    try {
      await serviceIsReady(cluster.url);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('redis-sentinel://… is ready', async () => {
    const sentinel = await startRedisSentinel();
    try {
      await serviceIsReady(sentinel.url);
    } finally {
      await sentinel.stop();
    }
  }, 120_000);
});

describe('a whole flow (authorize, token, MCP call, revoke) over', () => {
  it('a Redis Cluster', async () => {
    const cluster = await startRedisCluster(3);
    try {
      await fullFlow(cluster.url);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('Redis Sentinels', async () => {
    const sentinel = await startRedisSentinel();
    try {
      await fullFlow(sentinel.url);
    } finally {
      await sentinel.stop();
    }
  }, 120_000);
});
