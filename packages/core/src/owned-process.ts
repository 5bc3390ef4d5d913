import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * A server process (an embedded PostgreSQL, a test Redis) that cannot outlive the Node process
 * that started it by more than a moment, however that process ends: SIGKILL and the OOM killer
 * included, which no exit hook survives.
 *
 * How: the server runs under a small shell. A second shell, the watcher, blocks reading a pipe
 * whose only write end is held by the owner (Node opens every descriptor close-on-exec, so no
 * other child inherits it). When the owner dies the kernel closes that end, the watcher's read
 * returns, and it sends the server its stop signal. A normal stop closes the same pipe, so there is
 * one way down. Shell, watcher and server share a new process group: a terminal's Ctrl-C reaches
 * only the owner, which stops the server after its own in-flight work, and a group SIGKILL is the
 * last resort.
 */
const SUPERVISOR = `
sig=$1; shift
exec 4<&0 </dev/null
"$@" 3>&- 4<&- &
child=$!
echo "$child" >&3
exec 3>&-
( read -r _ <&4; kill -s "$sig" "$child" 2>/dev/null ) &
watcher=$!
exec 4<&-
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
`;

export type StopSignal = 'INT' | 'TERM' | 'QUIT';

export interface OwnedProcessOptions {
  /** The signal that asks the server to stop (PostgreSQL: INT, a fast shutdown; Redis: TERM). */
  stopSignal: StopSignal;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (the owner must be root). */
  uid?: number;
  gid?: number;
  /** Defaults to `/`: another user may not be allowed into the owner's working directory. */
  cwd?: string;
  /** Every line the server prints on stdout or stderr. */
  onLine?: (line: string) => void;
}

export interface OwnedProcess {
  /** The server's own pid (not the supervising shell's). */
  pid: number;
  /** Exit status of the server: its code, or 128 + signal number when a signal ended it. */
  exited: Promise<number>;
  /** The last lines it printed, for error messages. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Asks it to stop (its stop signal); after `graceMs` kills the whole group. Resolves when it has exited. */
  stop(graceMs?: number): Promise<number>;
}

/** The process could not be started at all (spawn failed, or the command could not be executed). */
export class ProcessStartError extends Error {
  override name = 'ProcessStartError';
}

const KEPT_OUTPUT = 20_000;

/** Starts `command` as an owned process; resolves once it is running (not necessarily ready). */
export function startOwnedProcess(
  command: string,
  args: readonly string[],
  opts: OwnedProcessOptions,
): Promise<OwnedProcess> {
  return new Promise((resolve, reject) => {
    const shell = spawn('/bin/sh', ['-c', SUPERVISOR, 'supervisor', opts.stopSignal, command, ...args], {
      cwd: opts.cwd ?? '/',
      env: opts.env ?? process.env,
      uid: opts.uid,
      gid: opts.gid,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let partial = '';
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-KEPT_OUTPUT);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) opts.onLine?.(line);
      for (const l of listeners) l();
    };
    shell.stdout!.on('data', onData);
    shell.stderr!.on('data', onData);
    // The owner never writes to the watcher's pipe; an EPIPE after the watcher is gone is harmless.
    shell.stdin!.on('error', () => undefined);

    let settled = false;
    const exited = new Promise<number>((resolveExit) => {
      shell.on('error', (err) => {
        resolveExit(127);
        if (!settled) {
          settled = true;
          reject(new ProcessStartError(`cannot start ${command}: ${err.message}`));
        }
      });
      shell.on('exit', (code, signal) => resolveExit(code ?? 128 + signalNumber(signal)));
    });
    const running = () => shell.exitCode === null && shell.signalCode === null;

    let pidText = '';
    const control = shell.stdio[3] as NodeJS.ReadableStream;
    control.on('data', (chunk: Buffer) => {
      pidText += chunk.toString();
      const line = pidText.split('\n')[0];
      if (settled || !pidText.includes('\n') || !line) return;
      settled = true;
      resolve(owned(Number(line)));
    });
    control.on('error', () => undefined);
    void exited.then((status) => {
      if (settled) return;
      settled = true;
      reject(new ProcessStartError(`cannot start ${command} (exit ${status}): ${lastLine(out)}`));
    });

    const owned = (pid: number): OwnedProcess => ({
      pid,
      exited,
      output: () => out,
      waitFor(pattern, timeoutMs) {
        return new Promise((resolveMatch, rejectMatch) => {
          const check = () => {
            const m = out.match(pattern);
            if (m) done(() => resolveMatch(m));
          };
          const timer = setTimeout(
            () => done(() => rejectMatch(new Error(`${command} not ready after ${timeoutMs} ms`))),
            timeoutMs,
          );
          void exited.then((status) =>
            done(() => rejectMatch(new Error(`${command} exited (status ${status}): ${lastLine(out)}`))),
          );
          let finished = false;
          const done = (f: () => void) => {
            if (finished) return;
            finished = true;
            clearTimeout(timer);
            listeners.delete(check);
            f();
          };
          listeners.add(check);
          check();
        });
      },
      async stop(graceMs = 30_000) {
        shell.stdin!.end();
        if (!running()) return exited;
        const timer = setTimeout(() => killGroup(shell.pid), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    });
  });
}

function killGroup(pgid: number | undefined) {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] : 0;
}

/** The last meaningful line a failed server printed: what a one-line start-up error can quote. */
export function lastLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? 'no output';
}
