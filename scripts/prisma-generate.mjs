// Generates the Prisma client into packages/core/src/generated/prisma (runs on npm install).
// The Prisma CLI fetches a native schema engine before every command unless
// PRISMA_SCHEMA_ENGINE_BINARY names a file; `generate` never uses that engine, so any file will do.
// That keeps installs working on machines that cannot reach Prisma's download host.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  // Production installs (npm ci --omit=dev) have no prisma CLI; they ship a generated client.
  if (existsSync('packages/core/src/generated/prisma/client.ts')) process.exit(0);
  console.error('prisma-generate: the prisma CLI is not installed and no generated client exists');
  process.exit(1);
}
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const r = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
