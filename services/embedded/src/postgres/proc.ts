import { readFile } from 'node:fs/promises';

/**
 * What the kernel says about another process, from /proc (Linux). Where /proc cannot answer
 * (another OS), callers get `undefined` and must not act on a process they cannot identify.
 */

/** True while `pid` exists and is not a zombie (a zombie has exited; only its parent has not reaped it). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone we may not signal.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return (await stat(pid))?.state !== 'Z';
}

/** Start time in clock ticks since boot: with the pid, it names one process even after pid reuse. */
export async function startTime(pid: number): Promise<string | undefined> {
  return (await stat(pid))?.startTime;
}

/** The command line, one entry per argument. */
export async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

/** The parent's pid (1 once init has adopted an orphan). */
export async function parentPid(pid: number): Promise<number | undefined> {
  return (await stat(pid))?.parentPid;
}

/** The process group it belongs to. */
export async function processGroup(pid: number): Promise<number | undefined> {
  return (await stat(pid))?.processGroup;
}

async function stat(
  pid: number,
): Promise<{ state: string; parentPid: number; processGroup: number; startTime: string } | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The second field is the command name in parentheses and may itself contain spaces and ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state) of proc_pid_stat(5); field 22 is the start time.
    return {
      state: fields[0]!,
      parentPid: Number(fields[1]),
      processGroup: Number(fields[2]),
      startTime: fields[19]!,
    };
  } catch {
    return undefined;
  }
}

/** Polls until `pid` has gone; false if it is still there after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
