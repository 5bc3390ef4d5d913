#!/usr/bin/env node
// Runs the bundle (dist/mcp-auth.js, made by `npm run build` and by `npm start`) when it is current:
// it starts in a fraction of the time tsx needs to compile the sources. Without a bundle, or when
// any source it was built from has changed since, the sources run through tsx, so an edit always
// takes effect.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const bundle = new URL('dist/mcp-auth.js', root);

function bundleIsCurrent() {
  try {
    const built = statSync(bundle).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('dist/mcp-auth.sources.json', root), 'utf8'));
    return sources.every((source) => statSync(fileURLToPath(new URL(source, root))).mtimeMs <= built);
  } catch {
    return false; // no bundle, no list, or a source moved: run the sources
  }
}

if (bundleIsCurrent()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
