import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './paths.ts';

/** A child process of the stack, with its output kept for error messages. */
export interface StackProcess {
  name: string;
  child: ChildProcess;
  /** Exit code; null when a signal ended it. */
  exited: Promise<number | null>;
  output(): string;
  /** Sends the stop signal, then SIGKILL if it is still running after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export class StackProcessError extends Error {
  override name = 'StackProcessError';
}

const KEPT_OUTPUT = 200_000;

// Children are detached, so nothing else ends them: if the stack's own process exits without
// stopping them (an uncaught error), signal them on the way out.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: {
    env: Record<string, string>;
    onOutput?: ((line: string) => void) | undefined;
    stopSignal?: NodeJS.Signals;
  },
): StackProcess {
  // A process group of its own: Ctrl-C in a terminal reaches only the stack, which then stops its
  // children in order (gateway first), as `docker compose` does, instead of signalling all at once.
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let out = '';
  const lineReader = () => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString();
      out = (out + chunk.toString()).slice(-KEPT_OUTPUT);
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) opts.onOutput?.(line);
    };
  };
  child.stdout?.on('data', lineReader());
  child.stderr?.on('data', lineReader());
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      out += `\n${name}: cannot start ${command}: ${err.message}\n`;
      resolve(127);
    });
    child.on('exit', (code) => resolve(code));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    exited,
    output: () => out,
    async stop(graceMs = 15_000) {
      if (!running()) return exited;
      child.kill(opts.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a one-shot job to completion; a non-zero exit is an error that carries its output. */
export async function runJob(proc: StackProcess): Promise<void> {
  const code = await proc.exited;
  if (code !== 0) throw new StackProcessError(`${proc.name} failed (exit ${code}):\n${proc.output()}`);
}

/** Polls `url` until it answers 200; fails at once if the process exits first. */
export async function waitForHttp(url: string, proc: StackProcess, timeoutMs = 60_000): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) {
      throw new StackProcessError(`${proc.name} exited before ${url} answered:\n${proc.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StackProcessError(
    `${proc.name}: ${url} not ready after ${timeoutMs} ms (${last}):\n${proc.output()}`,
  );
}
