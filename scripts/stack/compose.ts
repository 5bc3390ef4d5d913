import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * Reads docker-compose.yml the way `docker compose` does for the parts the local stack uses:
 * YAML with merge keys (`<<: *app`), then `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$`
 * interpolation from the given variables. Nothing else of compose is needed here.
 */

export const composeFile = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

export interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  restart?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export class ComposeError extends Error {
  override name = 'ComposeError';
}

/** Compose's interpolation: unset (or, with `:-`, empty) variables take the default. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, fallback?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare!;
      const value = vars[name];
      if (op === ':-') return value ? value : (fallback ?? '');
      if (op === '-') return value ?? fallback ?? '';
      return value ?? '';
    },
  );
}

/** Interpolates every string in a parsed document, as compose does after reading the YAML. */
function interpolateAll(node: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, vars));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, vars)]));
  }
  return node;
}

export function parseCompose(text: string, vars: Record<string, string | undefined> = {}): ComposeFile {
  const doc = interpolateAll(parse(text, { merge: true }), vars) as ComposeFile | null;
  if (!doc || typeof doc.services !== 'object') throw new ComposeError('docker-compose.yml has no services');
  return doc;
}

export async function loadCompose(
  vars: Record<string, string | undefined> = {},
  file = composeFile,
): Promise<ComposeFile> {
  return parseCompose(await readFile(file, 'utf8'), vars);
}

export function service(compose: ComposeFile, name: string): ComposeService {
  const s = compose.services[name];
  if (!s) throw new ComposeError(`docker-compose.yml has no service "${name}"`);
  return s;
}

/** A service's `environment` as strings (compose accepts a map or a list of NAME=value). */
export function environmentOf(s: ComposeService): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}

export function commandOf(s: ComposeService): string[] {
  if (Array.isArray(s.command)) return s.command.map(String);
  if (typeof s.command === 'string') return s.command.split(/\s+/).filter(Boolean);
  return [];
}

/** Named-volume mounts (`name:/target[:ro]`); bind mounts (`./dir:/target`) are left out. */
export function volumesOf(s: ComposeService): { volume: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source !== undefined && !source.startsWith('.') && !source.startsWith('/'))
    .map(([volume, target, mode]) => ({ volume: volume!, target: target!, readOnly: mode === 'ro' }));
}

/** Bind mounts (`./dir:/target[:ro]`), the source resolved as compose does: from the file's folder. */
export function bindMountsOf(
  s: ComposeService,
  base = dirname(composeFile),
): { source: string; target: string }[] {
  return (s.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source !== undefined && (source.startsWith('.') || source.startsWith('/')))
    .map(([source, target]) => ({ source: resolve(base, source!), target: target! }));
}
