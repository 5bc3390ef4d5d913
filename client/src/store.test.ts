import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, UsageError } from './errors.ts';
import { configDir, CredentialStore, normalizeServerUrl, serverKey } from './store.ts';

const URL_A = 'http://localhost:8080/mcp';
const URL_B = 'https://mcp.example.com/tenant/mcp';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mcp-auth-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('configDir', () => {
  it('prefers MCP_AUTH_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDir({ MCP_AUTH_CONFIG_DIR: '/x/y', XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/x/y');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/mcp-auth');
    expect(configDir({})).toMatch(/\/\.config\/mcp-auth$/);
  });

  it('ignores a relative XDG_CONFIG_HOME, as the XDG spec requires', () => {
    expect(configDir({ XDG_CONFIG_HOME: 'relative/dir' })).toMatch(/\/\.config\/mcp-auth$/);
  });
});

describe('server keys', () => {
  it('gives equivalent spellings of a URL the same key', () => {
    expect(normalizeServerUrl('HTTP://LocalHost:80/mcp#frag')).toBe('http://localhost/mcp');
    expect(serverKey('http://LOCALHOST:8080/mcp')).toBe(serverKey('http://localhost:8080/mcp#x'));
  });

  it('gives different servers different keys made of file-name-safe characters', () => {
    const keys = [URL_A, URL_B, 'http://localhost:8080/other', 'http://localhost:8081/mcp'].map(serverKey);
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^[a-z0-9._-]+$/);
    expect(serverKey(URL_A)).toMatch(/^localhost_8080_mcp-[0-9a-f]{16}$/);
  });

  it('refuses what is not an http(s) URL, or carries credentials', () => {
    expect(() => normalizeServerUrl('not a url')).toThrow(UsageError);
    expect(() => normalizeServerUrl('ftp://example.com/mcp')).toThrow(UsageError);
    expect(() => normalizeServerUrl('https://user:pw@example.com/mcp')).toThrow(UsageError);
  });
});

describe('CredentialStore', () => {
  it('creates its directory 0700 and its files 0600', async () => {
    const dir = join(root, 'nested', 'mcp-auth');
    const store = new CredentialStore(dir);
    await store.update(URL_A, () => ({ codeVerifier: 'v' }));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.fileFor(URL_A))).mode & 0o777).toBe(0o600);
  });

  it('replaces a file by rename (a new inode), leaving no temporary files', async () => {
    const store = new CredentialStore(root);
    await store.update(URL_A, () => ({ codeVerifier: 'first' }));
    const before = await stat(store.fileFor(URL_A));
    await store.update(URL_A, (current) => ({ ...current, codeVerifier: 'second' }));
    const after = await stat(store.fileFor(URL_A));
    expect(after.ino).not.toBe(before.ino);
    expect((await store.read(URL_A))?.codeVerifier).toBe('second');
    expect(await readdir(root)).toEqual([`${serverKey(URL_A)}.json`]);
  });

  it('never shows a reader a partly written file', async () => {
    const store = new CredentialStore(root);
    const big = 'x'.repeat(200_000);
    await store.update(URL_A, () => ({ codeVerifier: big }));
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.update(URL_A, (current) => ({ ...current, codeVerifier: `${big}${i}` })),
    );
    const reads = Array.from({ length: 50 }, () => readFile(store.fileFor(URL_A), 'utf8').then(JSON.parse));
    await Promise.all([...writes, ...reads]);
  });

  it('applies concurrent updates of one server one after another, losing none', async () => {
    const store = new CredentialStore(root);
    await Promise.all([
      store.update(URL_A, (c) => ({ ...c, clientInformation: { client_id: 'c1' } })),
      store.update(URL_A, (c) => ({ ...c, codeVerifier: 'v1' })),
      store.update(URL_A, (c) => ({ ...c, tokens: { access_token: 'a', token_type: 'Bearer' } })),
    ]);
    const record = await store.read(URL_A);
    expect(record?.clientInformation?.client_id).toBe('c1');
    expect(record?.codeVerifier).toBe('v1');
    expect(record?.tokens?.access_token).toBe('a');
    expect(record?.serverUrl).toBe(URL_A);
    expect(Date.parse(record?.savedAt ?? '')).not.toBeNaN();
  });

  it('keeps each server in its own file', async () => {
    const store = new CredentialStore(root);
    await store.update(URL_A, () => ({ clientInformation: { client_id: 'for-a' } }));
    await store.update(URL_B, () => ({ clientInformation: { client_id: 'for-b' } }));
    expect(store.fileFor(URL_A)).not.toBe(store.fileFor(URL_B));
    expect((await store.read(URL_A))?.clientInformation?.client_id).toBe('for-a');
    expect((await store.read(URL_B))?.clientInformation?.client_id).toBe('for-b');
    expect((await store.list()).map((r) => r.serverUrl).sort()).toEqual([URL_A, URL_B].sort());

    expect(await store.remove(URL_A)).toBe(true);
    expect(await store.read(URL_A)).toBeUndefined();
    expect((await store.read(URL_B))?.clientInformation?.client_id).toBe('for-b');
    expect(await store.remove(URL_A)).toBe(false);
  });

  it('reads nothing from a directory that does not exist yet', async () => {
    const store = new CredentialStore(join(root, 'absent'));
    expect(await store.read(URL_A)).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('reports a damaged file instead of using it', async () => {
    const store = new CredentialStore(root);
    await writeFile(store.fileFor(URL_A), '{"serverUrl": 42', { mode: 0o600 });
    await expect(store.read(URL_A)).rejects.toThrow(CliError);
    await expect(store.read(URL_A)).rejects.toThrow(/damaged/);
  });
});
