// Which CLI to run: the bundle (dist/mcp-auth.js) while it is current, else null (the sources,
// through tsx). Current means that no source file it was built from (listed by scripts/build.mjs
// in dist/mcp-auth.sources.json) is newer than it, so an edit is never hidden behind an old bundle.
import { readFileSync, statSync } from 'node:fs';

/** @param {URL} root the checkout (ends with '/'); @returns {URL | null} */
export function currentBundle(root) {
  const bundle = new URL('dist/mcp-auth.js', root);
  try {
    const built = statSync(bundle).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('dist/mcp-auth.sources.json', root), 'utf8'));
    if (!Array.isArray(sources) || sources.length === 0) return null;
    return sources.every((source) => statSync(new URL(source, root)).mtimeMs <= built) ? bundle : null;
  } catch {
    return null; // no bundle, no list, or a source moved: run the sources
  }
}
