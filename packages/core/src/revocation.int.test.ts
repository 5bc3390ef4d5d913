import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../../../test/support/infra.ts';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.ts';
import { createPrisma, type PrismaClient } from './db.ts';
import { createRedis, type Redis } from './redis.ts';
import {
  PostgresRevocationStore,
  legacyRevocationKey,
  RedisRevocationStore,
  revocationCompleteKey,
  revocationKey,
  RevocationUnavailableError,
  type RevocationEntry,
} from './revocation.ts';

const inAMinute = () => new Date(Date.now() + 60_000);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const subject = (jti: string, sid: string, client_id = randomUUID()) => ({
  jti,
  sid,
  client_id,
  sub: randomUUID(),
  iat: nowSeconds(),
});
/** A token of `sub` issued at `iat` (seconds), with nothing else revoked. */
const tokenOf = (sub: string, iat: number) => ({ ...subject(randomUUID(), randomUUID()), sub, iat });
/** Sign-out of `sub` at `notBefore`, covering tokens for a minute. */
const signOut = (sub: string, notBefore: Date): RevocationEntry => ({
  kind: 'user',
  value: sub,
  notBefore,
  expiresAt: inAMinute(),
});

describe('revocation stores', () => {
  let db: TestDatabase;
  let redisInfo: TestRedis;
  let prisma: PrismaClient;
  let redis: Redis;
  let proxy: TcpProxy;
  let store: RedisRevocationStore;

  beforeAll(async () => {
    [db, redisInfo] = await Promise.all([startPostgres(), startRedis()]);
    prisma = createPrisma(db.url);
    const target = new URL(redisInfo.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    redis = createRedis(proxy.url('redis'), { commandTimeoutMs: 500 });
    await redis.connect();
    store = new RedisRevocationStore(redis, prisma, redisInfo.keyPrefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await proxy?.close();
    await prisma?.$disconnect();
    await redisInfo?.stop();
    await db?.stop();
  });

  it('reports a revoked jti and a revoked sid, and nothing else', async () => {
    const jti = randomUUID();
    const sid = randomUUID();
    expect(await store.isRevoked(subject(jti, sid))).toBe(false);
    await store.revoke([{ kind: 'jti', value: jti, expiresAt: inAMinute() }]);
    expect(await store.isRevoked(subject(jti, randomUUID()))).toBe(true);
    expect(await store.isRevoked(subject(randomUUID(), sid))).toBe(false);
    await store.revoke([{ kind: 'sid', value: sid, expiresAt: inAMinute() }]);
    expect(await store.isRevoked(subject(randomUUID(), sid))).toBe(true);
  });

  it('writes each entry under its pre-hash-tag name too, for a reader of the older version during an upgrade', async () => {
    const jti = randomUUID();
    const sub = randomUUID();
    await store.revoke([{ kind: 'jti', value: jti, expiresAt: inAMinute() }, signOut(sub, new Date())]);
    const legacy = legacyRevocationKey(redisInfo.keyPrefix, 'jti', jti);
    expect(legacy).toBe(`${redisInfo.keyPrefix}revoked:jti:${jti}`);
    expect(await redis.get(legacy)).toBe(await redis.get(revocationKey(redisInfo.keyPrefix, 'jti', jti)));
    expect(await redis.pttl(legacy)).toBeGreaterThan(50_000);
    const user = legacyRevocationKey(redisInfo.keyPrefix, 'user', sub);
    expect(await redis.get(user)).toBe(await redis.get(revocationKey(redisInfo.keyPrefix, 'user', sub)));
  });

  it('reports every token of a revoked (deleted) client', async () => {
    const client = randomUUID();
    expect(await store.isRevoked(subject(randomUUID(), randomUUID(), client))).toBe(false);
    await store.revoke([{ kind: 'client', value: client, expiresAt: inAMinute() }]);
    expect(await store.isRevoked(subject(randomUUID(), randomUUID(), client))).toBe(true);
    expect(
      await new PostgresRevocationStore(prisma).isRevoked(subject(randomUUID(), randomUUID(), client)),
    ).toBe(true);
  });

  it.each([
    ['Redis', () => store],
    ['Postgres alone', () => new PostgresRevocationStore(prisma)],
  ] as const)(
    'refuses the tokens of a signed-out user issued up to the sign-out (%s)',
    async (_, storeOf) => {
      const s = storeOf();
      const sub = randomUUID();
      const at = new Date(Date.UTC(2026, 11, 1, 12, 0, 10, 700));
      const second = Math.floor(at.getTime() / 1000);
      expect(await s.isRevoked(tokenOf(sub, second - 5))).toBe(false);
      await s.revoke([signOut(sub, at)]);
      expect(await s.isRevoked(tokenOf(sub, second - 5))).toBe(true);
      // iat has whole seconds: a token of the sign-out's own second may be older, so it is refused.
      expect(await s.isRevoked(tokenOf(sub, second))).toBe(true);
      expect(await s.isRevoked(tokenOf(sub, second + 1))).toBe(false);
      expect(await s.isRevoked(tokenOf(randomUUID(), second - 5))).toBe(false);
    },
  );

  it('keeps the later sign-out when an older one is recorded again (a background retry)', async () => {
    const sub = randomUUID();
    const later = new Date(Date.UTC(2026, 11, 1, 12, 0, 20));
    const earlier = new Date(Date.UTC(2026, 11, 1, 12, 0, 10));
    await store.revoke([signOut(sub, later)]);
    await store.revoke([signOut(sub, earlier)]);
    const between = tokenOf(sub, Math.floor(later.getTime() / 1000) - 5);
    expect(await store.isRevoked(between)).toBe(true);
    expect(await new PostgresRevocationStore(prisma).isRevoked(between)).toBe(true);
    const row = await prisma.revocation.findUniqueOrThrow({
      where: { kind_value: { kind: 'user', value: sub } },
    });
    expect(row.notBefore).toEqual(later);
  });

  it('keeps the durable record in Postgres and the fast copy with a TTL in Redis', async () => {
    const jti = randomUUID();
    await store.revoke([{ kind: 'jti', value: jti, expiresAt: inAMinute() }]);
    expect(await prisma.revocation.count({ where: { kind: 'jti', value: jti } })).toBe(1);
    const ttl = await redis.pttl(revocationKey(redisInfo.keyPrefix, 'jti', jti));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('rebuilds from Postgres when Redis lost its data', async () => {
    const jti = randomUUID();
    const sub = randomUUID();
    const at = new Date();
    await store.revoke([{ kind: 'jti', value: jti, expiresAt: inAMinute() }, signOut(sub, at)]);
    const keys = await redis.keys(`${redisInfo.keyPrefix}*`);
    await redis.del(...keys);
    // A fresh store (another replica) must not trust the empty Redis either.
    const other = new RedisRevocationStore(redis, prisma, redisInfo.keyPrefix);
    expect(await other.isRevoked(subject(jti, randomUUID()))).toBe(true);
    // The sign-out comes back with its time: older tokens refused, later ones not.
    const second = Math.floor(at.getTime() / 1000);
    expect(await other.isRevoked(tokenOf(sub, second - 1))).toBe(true);
    expect(await other.isRevoked(tokenOf(sub, second + 1))).toBe(false);
    expect(await redis.exists(revocationCompleteKey(redisInfo.keyPrefix))).toBe(1);
  });

  it('fails closed while Redis is unreachable and recovers by itself', async () => {
    const jti = randomUUID();
    await proxy.cut();
    await expect(store.isRevoked(subject(jti, randomUUID()))).rejects.toBeInstanceOf(
      RevocationUnavailableError,
    );
    const entry: RevocationEntry = { kind: 'jti', value: jti, expiresAt: inAMinute() };
    // The durable record is written even when Redis is down; the caller learns that Redis missed it.
    await expect(store.revoke([entry])).rejects.toBeInstanceOf(RevocationUnavailableError);
    expect(await prisma.revocation.count({ where: { value: jti } })).toBe(1);
    await proxy.restore();
    await expect
      .poll(() => store.isRevoked(subject(randomUUID(), randomUUID())).catch(() => 'down'), {
        timeout: 10_000,
      })
      .toBe(false);
  });

  it('serves the same interface from Postgres alone (embedded mode)', async () => {
    const pgStore = new PostgresRevocationStore(prisma);
    const sid = randomUUID();
    expect(await pgStore.isRevoked(subject(randomUUID(), sid))).toBe(false);
    await pgStore.revoke([{ kind: 'sid', value: sid, expiresAt: inAMinute() }]);
    expect(await pgStore.isRevoked(subject(randomUUID(), sid))).toBe(true);
    // An entry past its expiry covers no live token any more.
    const old = randomUUID();
    await pgStore.revoke([{ kind: 'sid', value: old, expiresAt: new Date(Date.now() - 1000) }]);
    expect(await pgStore.isRevoked(subject(randomUUID(), old))).toBe(false);
  });
});
