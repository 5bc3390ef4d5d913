import { describe, expect, it } from 'vitest';
import { loadConfig, revocationRedisEnv } from './config.ts';
import { redactUrl } from './http.ts';
import { Cluster, createRedis, parseRedisUrl } from './redis.ts';

describe('REDIS_URL', () => {
  it('takes one server as ioredis does', () => {
    expect(parseRedisUrl('redis://:pw@127.0.0.1:6379/2')).toEqual({
      kind: 'server',
      url: 'redis://:pw@127.0.0.1:6379/2',
    });
    expect(parseRedisUrl('rediss://cache.example:6380').kind).toBe('server');
  });

  it('takes Sentinels with the master name, the data nodes password and the Sentinels own', () => {
    expect(
      parseRedisUrl('redis-sentinel://app:p%40ss@10.0.0.1:26379,[::1]:26380/mymaster?sentinel_password=s3'),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      auth: { username: 'app', password: 'p@ss' },
      sentinelPassword: 's3',
      tls: false,
    });
    expect(parseRedisUrl('rediss-sentinel://s1:26379/m')).toMatchObject({ tls: true, auth: {} });
  });

  it('takes Cluster seed nodes', () => {
    expect(parseRedisUrl('redis-cluster://:pw@r1:7000,r2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
      ],
      auth: { password: 'pw' },
      tls: false,
    });
  });

  it.each([
    ['http://127.0.0.1:6379', /must be redis:/],
    ['redis-sentinel://s1:26379', /master name/],
    ['redis-sentinel://s1:26379,s2/m', /"s2" is not host:port/],
    ['redis-cluster://r1:7000/0', /takes no path/],
    ['redis-cluster://r1:99999', /not host:port/],
    ['redis-cluster://', /must be redis:/],
  ])('refuses %s, saying why', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
    expect(() => loadConfig(revocationRedisEnv, { REDIS_URL: url })).toThrow(
      new RegExp(`REDIS_URL: .*${message.source}`),
    );
  });

  it('builds the client of each topology', () => {
    const cluster = createRedis('redis-cluster://127.0.0.1:7000,127.0.0.1:7001');
    expect(cluster).toBeInstanceOf(Cluster);
    expect(cluster.status).toBe('wait'); // lazy: nothing is contacted until connect()
    const sentinel = createRedis('redis-sentinel://127.0.0.1:26379/mymaster');
    expect(sentinel).not.toBeInstanceOf(Cluster);
    expect(sentinel.options).toMatchObject({ name: 'mymaster', enableOfflineQueue: false });
    cluster.disconnect();
    sentinel.disconnect();
  });

  it('hides passwords of every form in messages', () => {
    expect(redactUrl('redis://:secret@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(redactUrl('redis-cluster://app:se@cret@r1:7000,r2:7000')).toBe(
      'redis-cluster://app:***@r1:7000,r2:7000',
    );
    expect(redactUrl('redis-sentinel://:pw@s1:26379/m?sentinel_password=secret')).toBe(
      'redis-sentinel://:***@s1:26379/m?sentinel_password=***',
    );
    expect(redactUrl('redis-sentinel://s1:1,s2:2/m?sentinel_password=x')).toBe(
      'redis-sentinel://s1:1,s2:2/m?sentinel_password=***',
    );
  });
});
