#!/usr/bin/env node
// Runs the bundle (dist/mcp-auth.js, made by `npm run build` and by `npm start`) when it is current:
// it starts in a fraction of the time tsx needs to compile the sources. Otherwise the sources run
// through tsx, so an edit always takes effect.
import { currentBundle } from './current-bundle.js';

const bundle = currentBundle(new URL('../../', import.meta.url));
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
