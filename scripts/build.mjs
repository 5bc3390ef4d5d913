// `npm run build`: bundles each entry point into dist/ with esbuild, so production images run
// plain JavaScript (`node dist/authz.js`) with no TypeScript loader. `npm start` runs it first
// (prestart, about 0.3 s): the all-in-one process then runs dist/embedded.js, which idles at
// about 60 MB less than the same sources through tsx. npm packages stay external
// and are installed with `npm ci --omit=dev`; the workspace packages and the generated Prisma
// client are bundled in.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const workspaces = [
  '.',
  'packages/core',
  'packages/resource-server',
  'services/registration',
  'services/authz',
  'services/mcp',
  'services/embedded',
  'client',
];
const external = new Set();
for (const dir of workspaces) {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    if (!name.startsWith('@mcp-auth/')) external.add(name);
  }
}

// dist/<name>.js for each: the Dockerfile and compose commands run these; `npm run stack` maps
// them back to the sources.
const entryPoints = JSON.parse(readFileSync('scripts/entry-points.json', 'utf8'));

await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  external: [...external].flatMap((n) => [n, `${n}/*`]),
  // Bundled ESM still meets CommonJS packages that call require(); give it one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  // `npm start` builds first (prestart) and passes --quiet: only problems are worth its output.
  logLevel: process.argv.includes('--quiet') ? 'warning' : 'info',
});
