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

/**
 * Starts bench/mcp-server.ts in a child process and waits (bounded) for the port it listens on;
 * `cpus` (a taskset list) pins it.
 */
export function startServer(
  spec: ServerSpec,
  options: { cpus?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child: ChildProcess = fork(SERVER_ENTRY, [], {
    // BENCH_NODE_FLAGS adds Node flags to every server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
    // (the profile is written when the server exits at the end of its section).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(spec) },
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
      reject(new Error(`the ${spec.mode} server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      resolve({ spec, url: `http://127.0.0.1:${message.port}/mcp`, pid: child.pid!, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${spec.mode} server exited with status ${code} before listening`));
    });
  });
}
