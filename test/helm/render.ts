import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as renderGoTemplate } from '@evertdespiegeleer/go-template';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * Renders deploy/helm/mcp-auth as `helm template` would, with Go's own text/template engine
 * (compiled to WebAssembly, in @evertdespiegeleer/go-template), since no helm binary can be had
 * here. The chart uses only text/template built-ins, which behave the same in Helm. The one Helm
 * object that is not plain data, `.Files.Get "path"`, is given as `(index .Files "path")` with the
 * chart's files read here; nothing else is rewritten. The engine is stricter than Helm in one way
 * (a missing map key is an error, not "<no value>"), which catches values the chart forgot.
 */
export const chartDir = fileURLToPath(new URL('../../deploy/helm/mcp-auth/', import.meta.url));

export type Values = Record<string, unknown>;
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's merge of `--set`/`-f` values over values.yaml: maps merge, everything else replaces. */
function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(base[k]) ? mergeValues(base[k], v) : v;
  }
  return out;
}

async function defaultValues(): Promise<Values> {
  return parseYaml(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Values;
}

export async function renderChart(
  overrides: Values = {},
  release = { name: 'mcp-auth', namespace: 'auth' },
): Promise<K8sObject[]> {
  const chart = parseYaml(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  const values = mergeValues(await defaultValues(), overrides);
  const files: Record<string, string> = {};
  for (const name of await readdir(join(chartDir, 'files'))) {
    files[`files/${name}`] = await readFile(join(chartDir, 'files', name), 'utf8');
  }
  const data = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Files: files,
  };
  const templates = (await readdir(join(chartDir, 'templates'))).sort();
  const helpers = (
    await Promise.all(
      templates
        .filter((t) => t.endsWith('.tpl'))
        .map((t) => readFile(join(chartDir, 'templates', t), 'utf8')),
    )
  ).join('\n');
  const objects: K8sObject[] = [];
  for (const name of templates.filter((t) => t.endsWith('.yaml'))) {
    const text = (await readFile(join(chartDir, 'templates', name), 'utf8')).replace(
      /\.Files\.Get ("[^"]+")/g,
      'index .Files $1',
    );
    let rendered: string;
    try {
      rendered = await renderGoTemplate(helpers + text, data);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
    }
    for (const doc of parseAllDocuments(rendered)) {
      if (doc.errors.length) throw new Error(`${name}: ${doc.errors[0]!.message}\n${rendered}`);
      const object = doc.toJSON() as K8sObject | null;
      if (object) objects.push(object);
    }
  }
  return objects;
}
