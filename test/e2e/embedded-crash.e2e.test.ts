import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, processGroup, waitUntilGone } from '@mcp-auth/embedded/proc';
import { callMcp, clientPost } from '../support/oauth-flow.ts';
import { freePort, start, type Running } from '../support/processes.ts';

/**
 * `npm start` after a crash: the all-in-one process is killed with SIGKILL (as the OOM killer
 * does), its embedded PostgreSQL must not linger, and the next start on the same DATA_DIR must
 * come up by itself with every row and token written before the crash.
 */
describe('all-in-one server after a crash', () => {
  let dataDir: string;
  let port: number;
  const started: Running[] = [];
  /** The server that holds DATA_DIR now. */
  let owner: Running;
  const initialAccessToken = randomBytes(32).toString('base64url');
  let base: string;
  let client: { id: string; secret: string; registrationAccessToken: string; uri: string };
  let accessToken: string;

  const startServer = (env: Record<string, string> = {}) => {
    const server = start(
      process.execPath,
      ['--import', 'tsx', 'services/embedded/src/main.ts'],
      {
        PORT: String(port),
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'info',
        REGISTRATION_INITIAL_ACCESS_TOKEN: initialAccessToken,
        ...env,
      },
      { detached: true },
    );
    started.push(server);
    return server;
  };
  const running = async (server: Running) => {
    await server.waitFor(/mcp-auth is running at/, 120_000);
    const [, databaseDir] = await server.waitFor(/database: +embedded PostgreSQL in (\S+)/);
    return { databaseDir: databaseDir!, postmaster: await postmasterPid(databaseDir!) };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mcp-auth-crash-'));
    port = await freePort();
    base = `http://localhost:${port}`;
  });

  afterAll(async () => {
    // Whatever a failed assertion left running: every process group this file started.
    for (const server of started) killGroup(server.child.pid!);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes back after SIGKILL with the rows and tokens written before it', async () => {
    const first = startServer();
    const { databaseDir, postmaster } = await running(first);

    // A row (a registered client) and a token (an access token signed and recorded before the crash).
    const registration = await fetch(`${base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${initialAccessToken}` },
      body: JSON.stringify({
        client_name: 'crash test',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    expect(registration.status).toBe(201);
    const registered = (await registration.json()) as Record<string, string>;
    client = {
      id: registered.client_id!,
      secret: registered.client_secret!,
      registrationAccessToken: registered.registration_access_token!,
      uri: registered.registration_client_uri!,
    };
    const issued = await clientPost(
      `${base}/oauth/token`,
      { clientId: client.id, secret: client.secret },
      { grant_type: 'client_credentials', resource: `${base}/mcp` },
    );
    expect(issued.status).toBe(200);
    accessToken = String(issued.body.access_token);
    expect((await callMcp(`${base}/mcp`, accessToken)).status).toBe(200);

    const killedAt = Date.now();
    process.kill(first.child.pid!, 'SIGKILL'); // the Node process alone, not its group
    await first.exited;
    // The database stops by itself once its owner is gone (reported, not asserted: no timing
    // assertions in tests).
    expect(await waitUntilGone(postmaster, 60_000)).toBe(true);
    console.log(`embedded PostgreSQL outlived its SIGKILLed owner by ${Date.now() - killedAt} ms`);

    owner = startServer();
    const after = await running(owner);
    expect(after.databaseDir).toBe(databaseDir);
    expect(after.postmaster).not.toBe(postmaster);
    expect((await callMcp(`${base}/mcp`, accessToken)).status).toBe(200);
    const read = await fetch(client.uri, {
      headers: { authorization: `Bearer ${client.registrationAccessToken}` },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_name: string }).client_name).toBe('crash test');
  });

  it('refuses to start beside a live owner of the same DATA_DIR, in one line naming it', async () => {
    const intruder = startServer({ PORT: String(await freePort()) });
    expect(await intruder.exited).toBe(1);
    const stderr = intruder
      .output()
      .split('\n')
      .filter((l) => l && !l.startsWith('{'));
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(`in use by another mcp-auth (pid ${owner.child.pid})`);
    expect(intruder.output()).not.toMatch(/^\s+at /m);
    // The owner was not touched.
    expect((await callMcp(`${base}/mcp`, accessToken)).status).toBe(200);
  });

  it('stops the PostgreSQL a dead owner left running (its supervisor killed too) and comes up', async () => {
    const { databaseDir, postmaster } = await running(owner);
    // Kill the supervisor shells first (everything in the server's process group but the
    // server), then the owner: nothing is left to stop the server, as after a crash of an
    // mcp-auth without a supervisor.
    const group = (await processGroup(postmaster))!;
    for (const pid of (await processesIn(group)).filter((p) => p !== postmaster))
      process.kill(pid, 'SIGKILL');
    process.kill(owner.child.pid!, 'SIGKILL');
    await owner.exited;
    expect(await isAlive(postmaster)).toBe(true);

    const next = startServer();
    const after = await running(next);
    // Either the new start stopped the orphan (and logged it), or the orphan, left with its output
    // pipes closed, exited by itself first (seen in a fresh-machine run); what matters is below:
    // the same data, no orphan, the token still good.
    expect(after.databaseDir).toBe(databaseDir);
    expect(await isAlive(postmaster)).toBe(false);
    expect((await callMcp(`${base}/mcp`, accessToken)).status).toBe(200);

    // A clean stop leaves nothing behind: no server, no lock.
    expect(await next.stop()).toBe(0);
    expect(await isAlive(after.postmaster)).toBe(false);
    expect(await readdir(dataDir)).not.toContain('mcp-auth.lock');
  });
});

async function postmasterPid(databaseDir: string): Promise<number> {
  return Number((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

async function processesIn(group: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const groups = await Promise.all(pids.map((pid) => processGroup(pid)));
  return pids.filter((_, i) => groups[i] === group);
}

function killGroup(pgid: number) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
