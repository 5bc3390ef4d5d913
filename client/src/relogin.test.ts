import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InsufficientScopeError, SessionExpiredError } from './errors.ts';
import { reauthorizer } from './relogin.ts';
import { CredentialStore } from './store.ts';

const URL_A = 'http://127.0.0.1:9/mcp';
const tty = { stdinIsTTY: true, stderrIsTTY: true };

let dir: string;
let store: CredentialStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-relogin-'));
  store = new CredentialStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reauthorizer', () => {
  // Where nobody can answer a browser, the reason comes back as it is: its message names the login to run.
  it.each([
    ['--json in a terminal', true, tty],
    ['stdin not a terminal', false, { ...tty, stdinIsTTY: false }],
    ['stderr not a terminal', false, { ...tty, stderrIsTTY: false }],
  ])('hands the reason back with %s', async (_name, json, terminal) => {
    const reauthorize = reauthorizer(store, URL_A, json, terminal);
    const expired = new SessionExpiredError(URL_A, 'mcp:tools');
    await expect(reauthorize(expired)).rejects.toBe(expired);
    const stepUp = new InsufficientScopeError(URL_A, 'mcp:identity', 'mcp:tools');
    await expect(reauthorize(stepUp)).rejects.toBe(stepUp);
    expect(stepUp.message).toBe(
      `Insufficient scope for ${URL_A}: it needs scope "mcp:identity" (missing: mcp:identity); run \`mcp-auth login ${URL_A} --scope "mcp:tools mcp:identity"\``,
    );
  });

  it('never opens a browser for a machine login whose session cannot be renewed by a step-up', async () => {
    await store.update(URL_A, () => ({ machine: { clientId: 'svc', secretEnv: 'SVC_SECRET' } }));
    const expired = new SessionExpiredError(URL_A);
    await expect(reauthorizer(store, URL_A, false, tty)(expired)).rejects.toBe(expired);
  });
});
