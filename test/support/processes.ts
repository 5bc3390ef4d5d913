import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliBin = fileURLToPath(new URL('../../client/bin/mcp-auth.js', import.meta.url));

/** A child process whose output is collected, so tests can wait for a line and show it on failure. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * For a detached process: SIGTERM to its whole group (a tsx loader and its service stop
   * together), SIGKILL to the group if it has not exited within `graceMs`.
   */
  stopGroup(graceMs?: number): Promise<number | null>;
}

export function start(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  opts: { detached?: boolean } = {},
): Running {
  // detached: a process group of its own, as a service manager starts it, so a test can signal
  // the process alone (SIGKILL of the owner) or its whole group (cleanup).
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: 'pipe',
    detached: opts.detached ?? false,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern} in output of ${command}:\n${out}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${command} exited before printing ${pattern}:\n${out}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async stopGroup(graceMs = 5000) {
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // the group is gone already
        }
      };
      if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The real `mcp-auth` binary, as a user runs it. */
export const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [cliBin, ...args], env);
export const startCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  start(process.execPath, [cliBin, ...args], env);

export { freePort } from '@mcp-auth/core';
