// `npm run build`: bundles each entry point into dist/ with esbuild, so production images run
// plain JavaScript (`node dist/authz.js`) with no TypeScript loader. `npm start` runs it first
// (prestart, about 0.3 s): the all-in-one process then runs dist/embedded.js, which idles at
// about 60 MB less than the same sources through tsx. npm packages stay external
// and are installed with `npm ci --omit=dev`; the workspace packages and the generated Prisma
// client are bundled in.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

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

const result = await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  // Shared code and each lazily imported module (the CLI's commands) get their own chunk, so a
  // process loads only what it runs: `mcp-auth --help` does not load the MCP SDK.
  splitting: true,
  metafile: true,
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

// The source files the CLI bundle was built from: client/bin/mcp-auth.js runs the bundle only
// while none of them is newer than it (else the sources, through tsx), so an edit is never hidden
// behind a stale bundle.
const { outputs } = result.metafile;
const sources = new Set();
const visit = (file, seen = new Set()) => {
  if (seen.has(file)) return;
  seen.add(file);
  for (const input of Object.keys(outputs[file].inputs))
    if (!input.includes('node_modules/')) sources.add(input);
  for (const { path, kind } of outputs[file].imports)
    if (outputs[path] && kind !== 'require-call') visit(path, seen);
};
visit('dist/mcp-auth.js');
writeFileSync('dist/mcp-auth.sources.json', JSON.stringify([...sources].sort(), null, 1));
