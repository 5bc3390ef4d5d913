import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis as Standalone } from 'ioredis';
import { freePort, startOwnedProcess, type OwnedProcess } from '@mcp-auth/core';

/**
 * Redis Cluster and Redis Sentinel set-ups started from the system's `redis-server`, on free
 * loopback ports, with their files in a temporary directory. Each server runs as an owned process
 * (its own process group, stopped with its owner however the test run ends).
 */
export interface RedisTopology {
  /** REDIS_URL for it, in the form mcp-auth takes (redis-cluster:// or redis-sentinel://). */
  url: string;
  stop(): Promise<void>;
}

async function startServer(dir: string, args: string[], ready: RegExp): Promise<OwnedProcess> {
  const server = await startOwnedProcess('redis-server', args, { stopSignal: 'TERM', cwd: dir });
  try {
    await server.waitFor(ready, 30_000);
  } catch (err) {
    await server.stop(2_000);
    throw err;
  }
  return server;
}

const dataArgs = (dir: string, port: number) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
];

async function stopAll(servers: OwnedProcess[], dir: string): Promise<void> {
  await Promise.all(servers.map((s) => s.stop(5_000)));
  await rm(dir, { recursive: true, force: true });
}

/** Polls `probe` until it returns true (every 100 ms, up to `timeoutMs`), else throws naming `what`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

async function withClient<T>(port: number, use: (r: Standalone) => Promise<T>): Promise<T> {
  const r = new Standalone({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    return await use(r);
  } finally {
    r.disconnect();
  }
}

export interface ClusterSetup extends RedisTopology {
  /** The masters' ports, as created. */
  ports: number[];
  /** Starts a node and makes it a replica of the master on `masterPort`; resolves with its port once in sync. */
  addReplica(masterPort: number): Promise<number>;
  /** CLUSTER FAILOVER on a replica: resolves once it is master and the cluster is ok again. */
  failover(replicaPort: number): Promise<void>;
}

/** A Cluster of `masters` masters (replicas on demand), every slot assigned, state ok on every node. */
export async function startRedisCluster(masters = 3): Promise<ClusterSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-cluster-'));
  const servers: OwnedProcess[] = [];
  const all: number[] = [];
  const startNode = async () => {
    const [port, bus] = [await freePort(), await freePort()];
    const nodeDir = join(dir, String(port));
    await mkdir(nodeDir);
    servers.push(
      await startServer(
        nodeDir,
        [
          ...dataArgs(nodeDir, port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(bus),
          '--cluster-config-file',
          join(nodeDir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
        ],
        /Ready to accept connections/,
      ),
    );
    all.push(port);
    return port;
  };
  const redisCli = async (args: string[]) => {
    const cli = await startOwnedProcess('redis-cli', args, { stopSignal: 'TERM', cwd: dir });
    if ((await cli.exited) !== 0) throw new Error(`redis-cli ${args.join(' ')} failed:\n${cli.output()}`);
  };
  const clusterOk = async () => {
    for (const port of all) {
      await until(`cluster state ok on ${port}`, () =>
        withClient(port, async (r) => String(await r.cluster('INFO')).includes('cluster_state:ok')),
      );
    }
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) ports.push(await startNode());
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await redisCli(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    await clusterOk();
    return {
      url: `redis-cluster://${nodes.join(',')}`,
      ports,
      async addReplica(masterPort) {
        const port = await startNode();
        const masterId = (await withClient(masterPort, (r) => r.call('CLUSTER', 'MYID'))) as string;
        await redisCli([
          '--cluster',
          'add-node',
          `127.0.0.1:${port}`,
          `127.0.0.1:${masterPort}`,
          '--cluster-slave',
          '--cluster-master-id',
          masterId,
        ]);
        await until(`replica ${port} in sync`, () =>
          withClient(port, async (r) => {
            const role = await r.role();
            return role[0] === 'slave' && role[3] === 'connected';
          }),
        );
        await clusterOk();
        return port;
      },
      async failover(replicaPort) {
        await withClient(replicaPort, (r) => r.cluster('FAILOVER'));
        await until(`${replicaPort} to become master`, () =>
          withClient(replicaPort, async (r) => (await r.role())[0] === 'master'),
        );
        await clusterOk();
      },
      stop: () => stopAll(servers, dir),
    };
  } catch (err) {
    await stopAll(servers, dir);
    throw err;
  }
}

export interface SentinelSetup extends RedisTopology {
  /** The port of the server that is master now, as the Sentinels see it. */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER, resolved once the Sentinels name the former replica as master. */
  failover(): Promise<void>;
}

/** One master, one replica and two Sentinels watching them as `mymaster`. */
export async function startRedisSentinel(): Promise<SentinelSetup> {
  const name = 'mymaster';
  const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-sentinel-'));
  const servers: OwnedProcess[] = [];
  try {
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    servers.push(await startServer(dir, dataArgs(dir, masterPort), /Ready to accept connections/));
    servers.push(
      await startServer(
        dir,
        [...dataArgs(dir, replicaPort), '--replicaof', '127.0.0.1', String(masterPort)],
        /MASTER <-> REPLICA sync: Finished with success/,
      ),
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      // A Sentinel rewrites its configuration file: one each, in the temporary directory.
      const file = join(dir, `sentinel-${i}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
          `sentinel down-after-milliseconds ${name} 2000`,
          `sentinel failover-timeout ${name} 10000`,
          '',
        ].join('\n'),
      );
      // Ready once it has found the replica (from the master's INFO), so a failover has a target.
      servers.push(await startServer(dir, [file, '--sentinel'], /\+slave slave 127\.0\.0\.1:\d+/));
      sentinelPorts.push(port);
    }
    const masterPortNow = () =>
      withClient(sentinelPorts[0]!, async (r) => {
        const addr = (await r.call('SENTINEL', 'get-master-addr-by-name', name)) as string[];
        return Number(addr[1]);
      });
    return {
      url: `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${name}`,
      masterPort: masterPortNow,
      async failover() {
        const before = await masterPortNow();
        await withClient(sentinelPorts[0]!, (r) => r.call('SENTINEL', 'FAILOVER', name));
        await until('the Sentinels to name the new master', async () => (await masterPortNow()) !== before);
        // The new master takes writes only once it has left replica mode.
        const after = await masterPortNow();
        await until('the new master to take writes', () =>
          withClient(after, async (r) => (await r.role())[0] === 'master'),
        );
        // ... and the old one to refuse them (a write it took before would be lost).
        await until('the old master to become a replica', () =>
          withClient(before, async (r) => (await r.role())[0] === 'slave'),
        );
      },
      stop: () => stopAll(servers, dir),
    };
  } catch (err) {
    await stopAll(servers, dir);
    throw err;
  }
}
