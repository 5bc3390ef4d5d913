import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/processes.ts';
import { addClient, addUser, callMcp, obtainTokens, refreshTokens } from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from './token-stack.ts';

/** The fields these tests read from the admin answers (each answer has some of them). */
interface Answer {
  error: string;
  error_description: string;
  user: { username: string; disabledAt: string | null; passwordHash?: string };
  users: { username: string }[];
  signedOut: { grants: number };
  clients: { id: string; lastUsedAt: string | null }[];
  client: { id: string; grants: unknown[] };
  grants: unknown[];
  events: { type: string; actor: string; address: string; outcome: string; detail: { operation: string } }[];
}

const suffix = () => randomBytes(3).toString('hex');

/** `npm run admin` as an operator runs it: a real process on the stack's database and Redis. */
// Each command is a Node process that loads TypeScript through tsx: seconds apiece on a busy machine.
describe('admin CLI', { timeout: 300_000 }, () => {
  let stack: TokenStack;
  const admin = async (args: string[], input?: string) => {
    const r = await run(
      process.execPath,
      ['--import', 'tsx', 'services/embedded/src/admin-cli.ts', ...args],
      {
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisInfo.url,
        REDIS_KEY_PREFIX: stack.redisInfo.keyPrefix,
        LOG_LEVEL: 'warn',
      },
      input,
    );
    return { ...r, json: () => JSON.parse(r.stdout) as Answer };
  };

  beforeAll(async () => {
    stack = await startTokenStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('users: add (password from stdin), list, disable (tokens refused, sign-in refused), enable, with --json', async () => {
    const username = `erin-${suffix()}`;
    const password = `pw-${suffix()}-long`;
    const added = await admin(['users', 'add', username, '--json'], `${password}\n`);
    expect(added.code).toBe(0);
    expect(added.json().user).toMatchObject({ username, disabledAt: null });
    const again = await admin(['users', 'add', username, '--json'], `${password}\n`);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: 'conflict' });
    expect((await admin(['users', 'list', '--json'])).json().users).toEqual(
      expect.arrayContaining([expect.objectContaining({ username })]),
    );

    const client = await addClient(stack.prisma, { clientId: `cli-${suffix()}` });
    const tokens = await obtainTokens({
      issuer: stack.issuer,
      client,
      user: { username, password },
      resource: stack.resource,
    });
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(200);

    const disabled = await admin(['users', 'disable', username, '--json']);
    expect(disabled.code).toBe(0);
    expect(disabled.json().signedOut).toMatchObject({ grants: 1 });
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(401);
    expect((await refreshTokens(stack.issuer, client, tokens.refreshToken!)).status).toBe(400);
    await expect(
      obtainTokens({ issuer: stack.issuer, client, user: { username, password }, resource: stack.resource }),
    ).rejects.toThrow(/login/);

    const enabled = await admin(['users', 'enable', username]);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain(`enabled ${username}`);
    await obtainTokens({
      issuer: stack.issuer,
      client,
      user: { username, password },
      resource: stack.resource,
    });
  });

  it('clients and grants: list with last use, show, revoke grants, delete the client; audit list shows the CLI as actor', async () => {
    const frank = await addUser(stack.prisma, `frank-${suffix()}`);
    const client = await addClient(stack.prisma, { clientId: `cli-${suffix()}` });
    const tokens = await obtainTokens({
      issuer: stack.issuer,
      client,
      user: frank,
      resource: stack.resource,
    });

    const clients = (await admin(['clients', 'list', '--json'])).json().clients as {
      id: string;
      lastUsedAt: string;
    }[];
    expect(clients.find((c) => c.id === client.clientId)?.lastUsedAt).toEqual(expect.any(String));
    const shown = await admin(['clients', 'show', client.clientId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(frank.username);

    const grants = (await admin(['grants', 'list', '--user', frank.username, '--json'])).json().grants;
    expect(grants).toEqual([expect.objectContaining({ clientId: client.clientId, scopes: ['mcp:tools'] })]);
    const revoked = await admin([
      'grants',
      'revoke',
      '--user',
      frank.username,
      '--client',
      client.clientId,
      '--json',
    ]);
    expect(revoked.json()).toEqual({ grants: 1, consents: 1, families: 1, codes: 0 });
    expect((await callMcp(stack.resource, tokens.accessToken)).status).toBe(401);

    const again = await obtainTokens({ issuer: stack.issuer, client, user: frank, resource: stack.resource });
    const deleted = await admin(['clients', 'delete', client.clientId, '--json']);
    expect(deleted.code).toBe(0);
    expect(deleted.json().client.id).toBe(client.clientId);
    expect((await callMcp(stack.resource, again.accessToken)).status).toBe(401);
    const gone = await admin(['clients', 'delete', client.clientId, '--json']);
    expect(gone.code).toBe(3);
    expect(JSON.parse(gone.stderr)).toMatchObject({ error: 'not_found' });

    await stack.audit.flush();
    const events = (
      await admin(['audit', 'list', '--client', client.clientId, '--type', 'admin.action', '--json'])
    ).json().events as { actor: string; detail: { operation: string }; outcome: string }[];
    expect(events.map((e) => [e.detail.operation, e.outcome])).toEqual(
      expect.arrayContaining([
        ['clients.delete', 'failure'],
        ['clients.delete', 'success'],
        ['grants.revoke', 'success'],
        ['clients.show', 'success'],
      ]),
    );
    expect(events.every((e) => e.actor.startsWith('admin:cli:'))).toBe(true);
    const limited = (
      await admin(['audit', 'list', '--user', frank.username, '--limit', '2', '--json'])
    ).json().events;
    expect(limited).toHaveLength(2);
  });

  it('usage and input errors: exit 2 with a clear message; unknown user: exit 3; --help: exit 0', async () => {
    // Independent commands, run side by side.
    const [unknown, stray, unknownOption, limit, noSelector, short, missing, help] = await Promise.all([
      admin(['users', 'fly']),
      admin(['users', 'list', '--user', 'x']),
      admin(['users', 'list', '--nope']),
      admin(['audit', 'list', '--limit', 'many', '--json']),
      admin(['grants', 'list']),
      admin(['users', 'add', `g-${suffix()}`], 'short\n'),
      admin(['users', 'disable', `nobody-${suffix()}`]),
      admin(['--help']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command: users fly/);
    expect(stray.code).toBe(2);
    expect(unknownOption.code).toBe(2);
    expect(limit.code).toBe(2);
    expect(JSON.parse(limit.stderr)).toMatchObject({ error: 'invalid_request' });
    expect(noSelector.code).toBe(2);
    expect(noSelector.stderr).toMatch(/name a user, a client, or both/);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/too short/);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/does not exist/);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('users disable <username>');
  });
});
