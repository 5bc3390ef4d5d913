import { readFileSync } from 'node:fs';

/** The CLI's version, from its package.json (one source of truth for --version and clientInfo). */
export const CLIENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
