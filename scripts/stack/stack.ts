import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createRedis, redactUrl } from '@mcp-auth/core';
import {
  bindMountsOf,
  commandOf,
  environmentOf,
  loadCompose,
  service,
  volumesOf,
  type ComposeFile,
  type ComposeService,
} from './compose.ts';
import { startGateway } from './gateway.ts';
import { freePort } from '@mcp-auth/core';
import { runJob, startProcess, waitForHttp, type StackProcess } from './process.ts';
import entryPoints from '../entry-points.json' with { type: 'json' };

/**
 * The compose topology as local processes (DESIGN "Runtime modes", 3): the one-shot jobs, then the
 * three services, each a Node process running its source with the `environment` docker-compose.yml
 * gives it, and Debian's nginx with the same gateway template. Compose host names become loopback
 * addresses: postgres and redis the local servers, registration/authz/mcp free ports, and volume
 * mount points directories under the stack's directory.
 */

export const APP_SERVICES = ['registration', 'authz', 'mcp'] as const;
export type AppService = (typeof APP_SERVICES)[number];
/** One-shot jobs, run to completion before the services start (as compose's depends_on orders them). */
export const JOBS = ['keys', 'migrate'] as const;
export const GATEWAY = 'gateway';

/**
 * The image runs bundles (`node dist/<name>.js`, built by scripts/build.mjs); the stack runs the
 * sources they are built from, so no build step is needed.
 */
export const BUNDLE_SOURCES: Readonly<Record<string, string>> = entryPoints;

/** What the Dockerfile sets for every container. */
const IMAGE_ENV = { NODE_ENV: 'production' };

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/mcp_auth_stack';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface StackOptions {
  /** Gateway port on 127.0.0.1; a free one when not given. */
  port?: number;
  /** Replaces the compose `postgres` service; the database is created when missing. */
  databaseUrl?: string;
  /** Replaces the compose `redis` service. */
  redisUrl?: string;
  /** Where volumes and gateway files live; a new temporary directory (removed by stop) when not given. */
  dir?: string;
  /** Compose interpolation variables, as in .env (e.g. LOG_LEVEL, REDIS_KEY_PREFIX, GATEWAY_REGISTER_BURST). */
  vars?: Record<string, string | undefined>;
  /** Each output line of every process, e.g. to print it. */
  onOutput?: (name: string, line: string) => void;
}

export interface StackService {
  port: number;
  /** Direct URL of the service, bypassing the gateway (tests only: compose publishes no such port). */
  url: string;
  process: StackProcess;
}

export interface Stack {
  /** PUBLIC_URL: the gateway. */
  url: string;
  mcpUrl: string;
  databaseUrl: string;
  redisUrl: string;
  dir: string;
  services: Record<AppService, StackService>;
  gateway: StackProcess;
  /** Every process's output so far, for failure messages. */
  output(): string;
  /**
   * Starts a service (or the gateway) again on the same port with the same environment, as
   * compose's restart policy does after it died, and resolves when it is ready. The stack's
   * `services`/`gateway` then name the new process.
   */
  restart(name: AppService | typeof GATEWAY): Promise<void>;
  /** Stops the gateway, then the services (SIGTERM); resolves with each exit code. */
  stop(): Promise<Record<string, number | null>>;
}

export class StackError extends Error {
  override name = 'StackError';
}

/** Compose values that name another container, mapped to what this machine has instead. */
interface LocalAddresses {
  databaseUrl: string;
  redisUrl: string;
  /** `authz:3002` → `127.0.0.1:40123`. */
  hosts: Map<string, string>;
  /** Named volume → local directory. */
  volumes: Map<string, string>;
}

function mapValue(value: string, addr: LocalAddresses, mounts: { target: string; local: string }[]): string {
  if (/^postgres(ql)?:\/\/([^@/]*@)?postgres[:/]/.test(value)) return addr.databaseUrl;
  if (/^rediss?:\/\/([^@/]*@)?redis(:\d+)?(\/\d*)?$/.test(value)) return addr.redisUrl;
  for (const [from, to] of addr.hosts) {
    value = value.replace(new RegExp(`(^|[/@])${from}(?=$|[/?#])`), `$1${to}`);
  }
  for (const { target, local } of mounts) {
    if (value === target || value.startsWith(`${target}/`)) return local + value.slice(target.length);
  }
  return value;
}

function localEnvironment(s: ComposeService, addr: LocalAddresses): Record<string, string> {
  const mounts = volumesOf(s).map(({ volume, target }) => {
    const local = addr.volumes.get(volume);
    if (!local) throw new StackError(`volume ${volume} is not declared`);
    return { target, local };
  });
  // A bind-mounted folder (the policy file's) is the checkout's own folder here.
  for (const { source, target } of bindMountsOf(s)) mounts.push({ target, local: source });
  return Object.fromEntries(Object.entries(environmentOf(s)).map(([k, v]) => [k, mapValue(v, addr, mounts)]));
}

/** `node dist/authz.js` → run services/authz/src/main.ts with tsx; other `node x.mjs` as they are. */
export function localCommand(command: string[]): string[] {
  const [program, script, ...rest] = command;
  if (program !== 'node' || !script) throw new StackError(`cannot run "${command.join(' ')}" locally`);
  const bundle = /^dist\/(.+)\.js$/.exec(script)?.[1];
  if (bundle === undefined) return [process.execPath, script, ...rest];
  const source = BUNDLE_SOURCES[bundle];
  if (!source) throw new StackError(`no source known for ${script} (add it to BUNDLE_SOURCES)`);
  return [process.execPath, '--import', 'tsx', source, ...rest];
}

const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? tmpdir(),
  ...IMAGE_ENV,
});

async function ensureDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.end();
    return;
  } catch (err) {
    await client.end().catch(() => undefined);
    if ((err as { code?: string }).code !== '3D000') {
      throw new StackError(
        `PostgreSQL at ${redactUrl(url)} is unreachable (${(err as Error).message}); start it or set STACK_DATABASE_URL`,
      );
    }
  }
  const server = new URL(url);
  const name = decodeURIComponent(server.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new StackError(`database name "${name}": letters, digits and _ only`);
  server.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (err) {
    // Another stack created it meanwhile.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
}

async function checkRedis(url: string): Promise<void> {
  const redis = createRedis(url);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new StackError(
      `Redis at ${redactUrl(url)} is unreachable (${(err as Error).message}); start it or set STACK_REDIS_URL`,
    );
  } finally {
    redis.disconnect();
  }
}

function containerPort(compose: ComposeFile, name: string): string {
  const port = environmentOf(service(compose, name)).PORT;
  if (!port) throw new StackError(`docker-compose.yml: service ${name} sets no PORT`);
  return port;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'mcp-auth-stack-')));
  const started: StackProcess[] = [];
  const cleanUp = async () => {
    await Promise.all(started.map((p) => p.stop()));
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = opts.port ?? (await freePort());
    const publicUrl = opts.vars?.PUBLIC_URL ?? `http://localhost:${port}`;
    const compose = await loadCompose({ ...opts.vars, PUBLIC_URL: publicUrl, GATEWAY_PORT: String(port) });

    const databaseUrl = opts.databaseUrl ?? DEFAULT_DATABASE_URL;
    const redisUrl = opts.redisUrl ?? DEFAULT_REDIS_URL;
    await Promise.all([ensureDatabase(databaseUrl), checkRedis(redisUrl)]);

    const ports = Object.fromEntries(
      await Promise.all(APP_SERVICES.map(async (name) => [name, await freePort()] as const)),
    ) as Record<AppService, number>;
    const addr: LocalAddresses = {
      databaseUrl,
      redisUrl,
      hosts: new Map(
        APP_SERVICES.map((name) => [`${name}:${containerPort(compose, name)}`, `127.0.0.1:${ports[name]}`]),
      ),
      volumes: new Map(),
    };
    for (const s of Object.values(compose.services)) {
      for (const { volume } of volumesOf(s)) addr.volumes.set(volume, join(dir, 'volumes', volume));
    }
    await Promise.all([...addr.volumes.values()].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));

    const run = (name: string, extraEnv: Record<string, string> = {}) => {
      const s = service(compose, name);
      const [command, ...args] = localCommand(commandOf(s));
      const proc = startProcess(name, command!, args, {
        env: { ...baseEnv(), ...localEnvironment(s, addr), ...extraEnv },
        onOutput: opts.onOutput && ((line) => opts.onOutput!(name, line)),
      });
      started.push(proc);
      return proc;
    };

    await Promise.all(JOBS.map((name) => runJob(run(name))));

    const services = Object.fromEntries(
      await Promise.all(
        APP_SERVICES.map(async (name) => {
          const proc = run(name, { PORT: String(ports[name]) });
          const url = `http://127.0.0.1:${ports[name]}`;
          await waitForHttp(`${url}/readyz`, proc);
          return [name, { port: ports[name], url, process: proc }] as const;
        }),
      ),
    ) as Record<AppService, StackService>;

    const runGateway = async () => {
      const proc = await startGateway({
        env: localEnvironment(service(compose, GATEWAY), addr),
        port,
        dir: join(dir, 'gateway'),
        onOutput: opts.onOutput && ((line) => opts.onOutput!(GATEWAY, line)),
      });
      started.push(proc);
      return proc;
    };
    let gateway = await runGateway();

    let stopping: Promise<Record<string, number | null>> | undefined;
    return {
      url: publicUrl,
      mcpUrl: `${publicUrl}/mcp`,
      databaseUrl,
      redisUrl,
      dir,
      services,
      get gateway() {
        return gateway;
      },
      output: () => started.map((p) => `--- ${p.name}\n${p.output()}`).join('\n'),
      async restart(name) {
        if (stopping) throw new StackError('the stack is stopping');
        if (name === GATEWAY) {
          await gateway.stop();
          gateway = await runGateway();
          return;
        }
        const current = services[name];
        await current.process.stop();
        const proc = run(name, { PORT: String(current.port) });
        current.process = proc;
        await waitForHttp(`${current.url}/readyz`, proc);
      },
      stop() {
        stopping ??= (async () => {
          const codes: Record<string, number | null> = { gateway: await gateway.stop() };
          await Promise.all(
            APP_SERVICES.map(async (name) => (codes[name] = await services[name].process.stop())),
          );
          if (ownsDir) await rm(dir, { recursive: true, force: true });
          return codes;
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
