import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/**
 * Which CPUs (taskset lists) the servers under test and the load generator run on. Pinned, the
 * server being compared always has the same core to itself whichever target a run measures, and
 * the load generator cannot take its time; unpinned, the scheduler moves everything around and
 * on a two-core machine a target that runs one more process is measured on less CPU.
 */
export interface CpuPlan {
  /** The server under test (the MCP server; in the proxy section, the upstream). */
  server: string;
  /** The load generator (this process), and in the proxy section the proxy itself. */
  load: string;
}

export function tasksetWorks(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `auto`: pin when there are at least two CPUs and taskset is installed; `off`: never. */
export function cpuPlan(setting: 'auto' | 'off'): CpuPlan | undefined {
  const cpus = availableParallelism();
  if (setting === 'off' || cpus < 2 || !tasksetWorks()) return undefined;
  return { server: '0', load: cpus === 2 ? '1' : `1-${cpus - 1}` };
}

/** Pins every thread of a process (and the threads it starts later) to the CPU list. */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** CPU time a process has used so far (user + system, Linux /proc), in milliseconds. */
export async function cpuTimeMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Read and write system calls a process has made so far (Linux /proc/<pid>/io). */
export async function systemCalls(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/syscr:\s+(\d+)/.exec(io)?.[1]) + Number(/syscw:\s+(\d+)/.exec(io)?.[1]);
}
