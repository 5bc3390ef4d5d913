import { describe, expect, it } from 'vitest';
import { reloginWhenInteractive } from './relogin.ts';
import { CredentialStore } from './store.ts';

const store = new CredentialStore('/nonexistent');
const URL_A = 'http://localhost:8080/mcp';

describe('reloginWhenInteractive', () => {
  it('logs in again only with a person at a terminal and output for people', () => {
    const tty = { stdinIsTTY: true, stderrIsTTY: true };
    expect(reloginWhenInteractive(store, URL_A, false, tty)).toBeTypeOf('function');
    expect(reloginWhenInteractive(store, URL_A, true, tty)).toBeUndefined();
    expect(reloginWhenInteractive(store, URL_A, false, { ...tty, stdinIsTTY: false })).toBeUndefined();
    expect(reloginWhenInteractive(store, URL_A, false, { ...tty, stderrIsTTY: false })).toBeUndefined();
  });
});
