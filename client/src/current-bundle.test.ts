import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBundle } from '../bin/current-bundle.js';

let dir: string;
let root: URL;
const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000);

async function file(path: string, text: string, mtimeSeconds: number) {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), text);
  await utimes(join(dir, path), at(mtimeSeconds), at(mtimeSeconds));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-bundle-'));
  root = pathToFileURL(`${dir}/`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('which CLI bin/mcp-auth.js runs', () => {
  it('the sources when there is no bundle', async () => {
    await file('client/src/cli.ts', '', 0);
    expect(currentBundle(root)).toBeNull();
  });

  it('the bundle when every source it lists is older', async () => {
    await file('client/src/cli.ts', '', 0);
    await file('client/src/store.ts', '', 5);
    await file(
      'dist/mcp-auth.sources.json',
      JSON.stringify(['client/src/cli.ts', 'client/src/store.ts']),
      10,
    );
    await file('dist/mcp-auth.js', '', 10);
    expect(currentBundle(root)?.href).toBe(new URL('dist/mcp-auth.js', root).href);
  });

  it('the sources once one of them is edited after the build', async () => {
    await file('client/src/cli.ts', '', 0);
    await file('client/src/store.ts', '', 20);
    await file(
      'dist/mcp-auth.sources.json',
      JSON.stringify(['client/src/cli.ts', 'client/src/store.ts']),
      10,
    );
    await file('dist/mcp-auth.js', '', 10);
    expect(currentBundle(root)).toBeNull();
  });

  it('the sources when a listed source is gone, or the list is missing or empty', async () => {
    await file('dist/mcp-auth.js', '', 10);
    expect(currentBundle(root)).toBeNull();
    await file('dist/mcp-auth.sources.json', JSON.stringify(['client/src/moved.ts']), 10);
    expect(currentBundle(root)).toBeNull();
    await file('dist/mcp-auth.sources.json', '[]', 10);
    expect(currentBundle(root)).toBeNull();
  });
});
