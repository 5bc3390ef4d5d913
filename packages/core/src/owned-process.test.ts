import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcessStartError, startOwnedProcess } from './owned-process.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, what: string) {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!condition()) throw new Error(`gave up waiting: ${what}`);
}

describe('owned processes', () => {
  it('stops the process with its stop signal and reports how it ended', async () => {
    const p = await startOwnedProcess(
      'sh',
      ['-c', 'trap "echo bye; exit 7" TERM; echo ready; while :; do sleep 1; done'],
      {
        stopSignal: 'TERM',
      },
    );
    await p.waitFor(/ready/, 30_000);
    expect(alive(p.pid)).toBe(true);
    expect(await p.stop()).toBe(7);
    expect(p.output()).toContain('bye');
    expect(alive(p.pid)).toBe(false);
  });

  it('dies with its owner, even when the owner is killed with SIGKILL', async () => {
    // An owner of its own, so that this test can kill it.
    const ownerScript = `
      import { startOwnedProcess } from ${JSON.stringify(new URL('./owned-process.ts', import.meta.url).pathname)};
      const p = await startOwnedProcess('sleep', ['600'], { stopSignal: 'TERM' });
      console.log('child', p.pid);
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ownerScript], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    owner.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => /child (\d+)/.test(out), 'the owner to start its child');
    const child = Number(/child (\d+)/.exec(out)![1]);
    expect(alive(child)).toBe(true);
    owner.kill('SIGKILL');
    await until(() => !alive(child), 'the child to stop after its owner died');
  });

  it('rejects, with the reason, a process that cannot be started', async () => {
    await expect(
      startOwnedProcess('sleep', ['1'], { stopSignal: 'TERM', cwd: '/nonexistent' }),
    ).rejects.toBeInstanceOf(ProcessStartError);
    const missing = await startOwnedProcess('/nonexistent/program', [], { stopSignal: 'TERM' });
    expect(await missing.exited).toBe(127);
    await expect(missing.waitFor(/never/, 30_000)).rejects.toThrow(/not found/);
  });
});
