import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, start, type Running } from '../support/processes.ts';

const asRoot = process.getuid?.() === 0;

/**
 * `npm start` from a checkout under a private (0700) parent, as /root/... is. As root, PostgreSQL
 * runs as the postgres system user, which cannot pass through that parent: the all-in-one mode
 * must still come up (keeping the database where that user can reach it, and saying so), and
 * every start-up failure must be one line, never a stack trace.
 */
describe('all-in-one server under a private parent directory', () => {
  let parent: string;
  let dataDir: string;
  let databaseDir: string | undefined;
  const started: Running[] = [];

  const startServer = async (env: Record<string, string> = {}) => {
    const server = start(
      process.execPath,
      ['--import', 'tsx', 'services/embedded/src/main.ts'],
      { PORT: String(await freePort()), DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info', ...env },
      { detached: true },
    );
    started.push(server);
    return server;
  };

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'mcp-auth-private-'));
    await chmod(parent, 0o700);
    dataDir = join(parent, 'checkout', '.data');
  });

  afterAll(async () => {
    for (const server of started) {
      try {
        process.kill(-server.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(parent, { recursive: true, force: true });
    if (databaseDir && !databaseDir.startsWith(parent))
      await rm(databaseDir, { recursive: true, force: true });
  });

  it('starts, keeps its database where PostgreSQL can reach it, and finds it again', async () => {
    const first = await startServer();
    await first.waitFor(/mcp-auth is running at (\S+)/, 120_000);
    databaseDir = (await first.waitFor(/database: +embedded PostgreSQL in (\S+)/))[1]!;
    const [, base] = await first.waitFor(/mcp-auth is running at (\S+)/);
    expect((await fetch(`${base}/.well-known/oauth-authorization-server`)).status).toBe(200);
    if (asRoot) {
      // The postgres user cannot enter `parent`, so the cluster lives elsewhere, and the log says why.
      expect(databaseDir.startsWith(parent)).toBe(false);
      expect(first.output()).toMatch(/system user cannot reach .*a parent directory is private/);
      expect((await stat(databaseDir)).uid).not.toBe(0);
    } else {
      expect(databaseDir).toBe(join(dataDir, 'postgres'));
    }
    expect(await first.stop()).toBe(0);

    const again = await startServer();
    await again.waitFor(/mcp-auth is running at/, 120_000);
    expect((await again.waitFor(/database: +embedded PostgreSQL in (\S+)/))[1]).toBe(databaseDir);
    // The admin created on the first start is still there: the same database, not a new one.
    expect(again.output()).not.toMatch(/First start: created the user/);
    expect(await again.stop()).toBe(0);
  });

  it('says in one line, without a stack trace, why it cannot start', async () => {
    const notADirectory = join(parent, 'a-file');
    await writeFile(notADirectory, '');
    const server = await startServer({ DATA_DIR: notADirectory });
    expect(await server.exited).toBe(1);
    const plain = server
      .output()
      .split('\n')
      .filter((l) => l && !l.startsWith('{'));
    expect(plain).toEqual([expect.stringMatching(/^start-up failed: cannot create DATA_DIR .*a-file/)]);
    expect(server.output()).not.toMatch(/^\s+at /m);
  });
});
