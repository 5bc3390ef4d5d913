import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pin } from './cpus.ts';
import type { ServerSpec } from './server-spec.ts';

const SERVER_ENTRY = fileURLToPath(new URL('./mcp-server.ts', import.meta.url));

export interface ServerProcess {
  spec: ServerSpec;
  /** The MCP endpoint on loopback. */
  url: string;
  /** The server process, to read its memory. */
  pid: number;
  stop(): Promise<void>;
}

/** A bench server in a child process, listening on a loopback port. */
export interface ForkedServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Forks `entry` (TypeScript, through tsx) and waits, bounded, for the port it reports over IPC;
 * `cpus` (a taskset list) pins it. stop() disconnects (the servers exit then) and kills after 5 s.
 */
export function forkServer(
  entry: string,
  options: { name: string; env?: NodeJS.ProcessEnv; cpus?: string; timeoutMs?: number },
): Promise<ForkedServer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child: ChildProcess = fork(entry, [], {
    // BENCH_NODE_FLAGS adds Node flags to every server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
    // (the profile is written when the server exits at the end of its section).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (options.cpus !== undefined && child.pid !== undefined) pin(child.pid, options.cpus);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the ${options.name} server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      resolve({ port: message.port!, pid: child.pid!, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${options.name} server exited with status ${code} before listening`));
    });
  });
}

/** Starts bench/mcp-server.ts for one spec. */
export async function startServer(
  spec: ServerSpec,
  options: { cpus?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const server = await forkServer(SERVER_ENTRY, {
    ...options,
    name: spec.mode,
    env: { BENCH_SERVER: JSON.stringify(spec) },
  });
  return { spec, url: `http://127.0.0.1:${server.port}/mcp`, pid: server.pid, stop: server.stop };
}
