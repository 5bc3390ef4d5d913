/* eslint-disable @typescript-eslint/no-explicit-any -- the rendered manifests are walked as plain JSON; their shape is what the Kubernetes schema check asserts */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { generateSigningKeyPem, loadConfig, loadPolicy, serviceApp } from '@mcp-auth/core';
import { authzServiceEnv } from '@mcp-auth/authz/config';
import { mcpServiceEnv } from '@mcp-auth/mcp/config';
import { registrationServiceEnv } from '@mcp-auth/registration/config';
import { chartDir, renderChart, type K8sObject, type Values } from './render.ts';

// The Helm chart rendered with Go's template engine (render.ts) and checked against the
// Kubernetes schemas and against the code it deploys: env names against the services' zod
// schemas, probes against the routes the services serve, ports against their PORT.

const secrets: Values = {
  connections: { databaseUrl: 'postgresql://app:pw@pg:5432/mcpauth', redisUrl: 'redis://redis:6379' },
  // Made for this run: no key, not even a stand-in, is committed.
  signingKey: { privateKeyPem: generateSigningKeyPem('RS256') },
};

const models: Record<string, new (o: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found as K8sObject & Record<string, any>;
};

const serviceShapes: Record<string, z.ZodRawShape> = {
  registration: registrationServiceEnv,
  authz: authzServiceEnv,
  mcp: mcpServiceEnv,
};

/** The environment a container gets: its ConfigMaps (envFrom) and its own env, Secrets filled in. */
function containerEnv(objects: K8sObject[], container: any, secretValues: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? [])
    Object.assign(env, find(objects, 'ConfigMap', from.configMapRef.name).data);
  for (const e of container.env ?? []) {
    env[e.name] =
      e.value ?? secretValues[e.valueFrom.secretKeyRef.key] ?? `(secret ${e.valueFrom.secretKeyRef.key})`;
  }
  return env;
}

const variants: [string, Values][] = [
  ['defaults with secrets given at install', secrets],
  [
    'existing secrets, ingress without the gateway, a policy, fixed replicas',
    {
      connections: { existingSecret: 'pg-redis', migrationUrlKey: 'MIGRATION_DATABASE_URL' },
      signingKey: { existingSecret: 'keys' },
      gateway: { enabled: false },
      ingress: {
        enabled: true,
        className: 'nginx',
        tlsSecretName: 'auth-tls',
        mcpPaths: ['/files', '/notes'],
      },
      policy:
        'scopes:\n  files:read: Read your files\ndefault_scope: files:read\nservers:\n  - path: /files\n',
      services: { mcp: { autoscaling: { enabled: false }, podDisruptionBudget: { enabled: false } } },
    },
  ],
  ['the gateway behind an ingress', { ...secrets, ingress: { enabled: true } }],
];

describe.each(variants)('the chart (%s)', (_name, overrides) => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await renderChart(overrides);
  });

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      const Model = models[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion}/${o.kind} has a schema check`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives each service env that its configuration schema knows and accepts', () => {
    for (const [name, shape] of Object.entries(serviceShapes)) {
      const deployment = find(objects, 'Deployment', `mcp-auth-${name}`);
      const container = deployment.spec.template.spec.containers[0];
      const env = containerEnv(objects, container, {
        DATABASE_URL: 'postgresql://app@pg/mcpauth',
        REDIS_URL: 'redis://redis:6379',
      });
      // A variable the service does not read is a typo or drift: the schema names every one.
      expect(
        Object.keys(env).filter((k) => !(k in shape)),
        name,
      ).toEqual([]);
      // The policy file is mounted, not present here: check the rest of the values.
      const { MCP_POLICY_PATH: _policy, ...rest } = env;
      expect(() => loadConfig(shape, rest), name).not.toThrow();
      expect(container.command).toEqual(['node', `dist/${name}.js`]);
    }
  });

  it('points probes at the routes the services serve, on the port they listen on', async () => {
    const app = serviceApp({});
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      for (const name of Object.keys(serviceShapes)) {
        const deployment = find(objects, 'Deployment', `mcp-auth-${name}`);
        const container = deployment.spec.template.spec.containers[0];
        const env = containerEnv(objects, container, {});
        const containerPort = container.ports.find((p: any) => p.name === 'http').containerPort;
        expect(String(containerPort)).toBe(env.PORT);
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          const { path, port: probePort } = container[probe].httpGet;
          expect(probePort).toBe('http');
          expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, `${name} ${probe} ${path}`).toBe(
            200,
          );
        }
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        const service = find(objects, 'Service', `mcp-auth-${name}`);
        expect(service.spec.ports[0]).toMatchObject({ port: containerPort, targetPort: 'http' });
        expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
        expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
      }
    } finally {
      server.close();
    }
  });

  it('runs every container non-root on a read-only root file system, with requests and limits', () => {
    const pods = objects.flatMap((o: any) =>
      o.kind === 'Deployment' || o.kind === 'Job'
        ? [{ name: o.metadata.name, spec: o.spec.template.spec }]
        : [],
    );
    expect(pods.length).toBeGreaterThanOrEqual(4);
    for (const { name, spec } of pods) {
      expect(spec.securityContext.runAsNonRoot, name).toBe(true);
      expect(spec.securityContext.runAsUser, name).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken, name).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, name).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(c.resources.requests).sort(), name).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources.limits).sort(), name).toEqual(['cpu', 'memory']);
      }
    }
  });

  it('runs the migrations as a pre-install and pre-upgrade hook with the migration runner of the image', () => {
    const job = find(objects, 'Job', 'mcp-auth-migrate');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['node', 'dist/migrate.js']);
    const url = container.env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    const authz = find(objects, 'Deployment', 'mcp-auth-authz').spec.template.spec.containers[0];
    const authzUrl = authz.env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    expect(url.name).toBe(authzUrl.name);
    // A chart-made Secret must exist before the hook Job runs, so it is a hook too, made first.
    const made = objects.find((o) => o.kind === 'Secret' && o.metadata.name === url.name);
    if (made) expect(Number(made.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(0);
  });

  it('scales every service with an HPA or fixed replicas, and guards it with a PDB where enabled', () => {
    for (const name of Object.keys(serviceShapes)) {
      const deployment = find(objects, 'Deployment', `mcp-auth-${name}`);
      const hpa = objects.find(
        (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === `mcp-auth-${name}`,
      ) as any;
      if (hpa) {
        expect(deployment.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
        expect(hpa.spec.scaleTargetRef).toEqual({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: deployment.metadata.name,
        });
      } else {
        expect(deployment.spec.replicas).toBeGreaterThan(0);
      }
      const pdb = objects.find(
        (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === `mcp-auth-${name}`,
      ) as any;
      if (pdb) expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    }
  });
});

describe('the gateway', () => {
  it('serves deploy/gateway configuration with every variable it uses, upstreams at the services', async () => {
    const objects = await renderChart(secrets);
    const template = await readFile(join(chartDir, '../../gateway/templates/default.conf.template'), 'utf8');
    expect(find(objects, 'ConfigMap', 'mcp-auth-gateway').data['default.conf.template']).toBe(template);
    const container = find(objects, 'Deployment', 'mcp-auth-gateway').spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    const used = new Set([...template.matchAll(/\$\{(GATEWAY_[A-Z_]+)\}/g)].map((m) => m[1]));
    const given = Object.keys(env).filter((k) => k.startsWith('GATEWAY_'));
    expect(given.sort()).toEqual([...used].sort());
    for (const name of Object.keys(serviceShapes)) {
      const service = find(objects, 'Service', `mcp-auth-${name}`);
      expect(env[`GATEWAY_${name.toUpperCase()}_UPSTREAM`]).toBe(
        `mcp-auth-${name}.auth.svc.cluster.local:${service.spec.ports[0].port}`,
      );
    }
    expect(String(container.ports[0].containerPort)).toBe(env.GATEWAY_LISTEN);
  });
});

describe('values', () => {
  it('refuses to render without the connection and signing-key secrets, naming what to set', async () => {
    await expect(renderChart({})).rejects.toThrow(/connections.existingSecret, or connections.databaseUrl/);
    await expect(renderChart({ connections: secrets.connections })).rejects.toThrow(
      /signingKey.existingSecret/,
    );
  });

  it('puts the policy in a file the policy loader accepts', async () => {
    const policy =
      'scopes:\n  notes:read: Read "your" notes\ndefault_scope: notes:read\nservers:\n  - path: /notes\n';
    const objects = await renderChart({ ...secrets, policy });
    const text = find(objects, 'ConfigMap', 'mcp-auth-policy').data['policy.yaml'];
    expect(text).toBe(policy);
    const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-policy-'));
    try {
      await writeFile(join(dir, 'policy.yaml'), text);
      const loaded = loadPolicy({
        MCP_POLICY_PATH: join(dir, 'policy.yaml'),
        PUBLIC_URL: 'https://auth.example.com',
      } as never);
      expect(loaded.servers.map((s) => s.resource)).toEqual(['https://auth.example.com/notes']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps secrets out of ConfigMaps', async () => {
    const objects = await renderChart(secrets);
    const configText = JSON.stringify(objects.filter((o) => o.kind === 'ConfigMap'));
    expect(configText).not.toContain('pw@pg');
    expect(configText).not.toContain('PRIVATE KEY');
    // ...and in the Secret, where the authorization server reads it.
    const secretText = JSON.stringify(objects.filter((o) => o.kind === 'Secret'));
    const pem = (secrets.signingKey as { privateKeyPem: string }).privateKeyPem;
    expect(
      secretText.includes(JSON.stringify(pem).slice(1, -1)) ||
        secretText.includes(Buffer.from(pem).toString('base64')),
    ).toBe(true);
  });
});
