import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@mcp-auth/core';
import { authzServiceEnv } from '../../services/authz/src/config.ts';
import { mcpServiceEnv } from '../../services/mcp/src/config.ts';
import { registrationServiceEnv } from '../../services/registration/src/config.ts';
import {
  bindMountsOf,
  commandOf,
  composeFile,
  environmentOf,
  loadCompose,
  service,
  volumesOf,
  type ComposeFile,
} from '../../scripts/stack/compose.ts';
import { gatewayTemplate, NGINX, renderTemplate } from '../../scripts/stack/gateway.ts';
import { APP_SERVICES, BUNDLE_SOURCES, JOBS, localCommand } from '../../scripts/stack/stack.ts';
import { repoRoot } from '../../scripts/stack/paths.ts';

/**
 * docker-compose.yml against the code, with no Docker: each service's compose environment satisfies
 * the env shape the service validates at start, the key volumes are wired so only authz sees the
 * private key, every ${VARIABLE} is documented, and nginx accepts the gateway as compose renders it.
 */

/** The shapes each service's main.ts loads (the standalone ones, with Redis). */
const shapes: Record<(typeof APP_SERVICES)[number], z.ZodRawShape> = {
  registration: registrationServiceEnv,
  authz: authzServiceEnv,
  mcp: mcpServiceEnv,
};

describe('docker-compose.yml matches what the services read', () => {
  let compose: ComposeFile;
  beforeAll(async () => {
    compose = await loadCompose();
  });

  it.each(APP_SERVICES)('%s: every variable without a default is set in compose', (name) => {
    const env = environmentOf(service(compose, name));
    const required = Object.entries(shapes[name])
      .filter(([, schema]) => !(schema as z.ZodType).safeParse(undefined).success)
      .map(([key]) => key);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((key) => env[key] === undefined)).toEqual([]);
  });

  it.each(APP_SERVICES)('%s: the compose environment passes the service’s own validation', (name) => {
    const env = environmentOf(service(compose, name));
    expect(() => loadConfig(shapes[name], env)).not.toThrow();
  });

  it.each(APP_SERVICES)('%s: sets PORT (the image health check reads it) and runs its bundle', (name) => {
    const s = service(compose, name);
    expect(environmentOf(s).PORT).toMatch(/^\d+$/);
    expect(commandOf(s)).toEqual(['node', `dist/${name}.js`]);
    expect(localCommand(commandOf(s))).toContain(BUNDLE_SOURCES[name]);
  });

  it('every bundle compose runs is one that scripts/build.mjs builds', () => {
    for (const name of [...APP_SERVICES, ...JOBS]) {
      const [, script] = commandOf(service(compose, name));
      const bundle = /^dist\/(.+)\.js$/.exec(script ?? '')?.[1];
      if (bundle === undefined) continue;
      expect(Object.keys(BUNDLE_SOURCES)).toContain(bundle);
    }
  });

  it('all three services share one PUBLIC_URL, the issuer mcp trusts', () => {
    const urls = APP_SERVICES.map((name) => environmentOf(service(compose, name)).PUBLIC_URL);
    expect(new Set(urls).size).toBe(1);
    expect(environmentOf(service(compose, 'mcp')).AUTHORIZATION_SERVER_URL).toBe(urls[0]);
  });

  it('the keys job writes the private key where authz reads it; mcp gets keys from the JWKS URL, not a file', () => {
    const volumeHolding = (name: string, path: string) =>
      volumesOf(service(compose, name)).find((v) => path.startsWith(`${v.target}/`));
    const keys = environmentOf(service(compose, 'keys'));
    const authz = environmentOf(service(compose, 'authz'));
    const mcp = environmentOf(service(compose, 'mcp'));

    const privateVolume = volumeHolding('keys', keys.JWT_PRIVATE_KEY_PATH!)!;
    const publicVolume = volumeHolding('keys', keys.JWT_PUBLIC_KEYS_PATH!)!;
    expect(privateVolume.volume).not.toBe(publicVolume.volume);

    const authzMount = volumeHolding('authz', authz.JWT_PRIVATE_KEY_PATH!)!;
    expect(authzMount).toMatchObject({ volume: privateVolume.volume, readOnly: true });
    expect(posix.relative(authzMount.target, authz.JWT_PRIVATE_KEY_PATH!)).toBe(
      posix.relative(privateVolume.target, keys.JWT_PRIVATE_KEY_PATH!),
    );

    // mcp fetches authz's JWKS inside the network (the port authz listens on), with no key volume.
    expect(mcp.JWT_PUBLIC_KEYS_PATH).toBeUndefined();
    expect(mcp.MCP_JWKS_URL).toBe(`http://authz:${authz.PORT}/oauth/jwks.json`);
    expect(volumesOf(service(compose, 'mcp'))).toEqual([]);
    // The private key's volume is mounted nowhere but in the keys job and authz.
    const holders = Object.entries(compose.services)
      .filter(([, s]) => volumesOf(s).some((v) => v.volume === privateVolume.volume))
      .map(([name]) => name)
      .sort();
    expect(holders).toEqual(['authz', 'keys']);
  });

  it('authz, registration and mcp read the policy from the same folder (the checkout’s, in the local stack)', () => {
    for (const name of ['authz', 'registration', 'mcp']) {
      expect(bindMountsOf(service(compose, name)), name).toContainEqual({
        source: join(repoRoot, 'deploy/policy'),
        target: '/etc/mcp-auth/policy',
      });
      // The same file for all three (unset here: the demo policy).
      expect(environmentOf(service(compose, name)).MCP_POLICY_PATH, name).toBe(
        environmentOf(service(compose, 'authz')).MCP_POLICY_PATH,
      );
    }
  });

  it('only the gateway publishes a port', () => {
    const publishing = Object.entries(compose.services)
      .filter(([, s]) => (s as { ports?: unknown[] }).ports?.length)
      .map(([name]) => name);
    expect(publishing).toEqual(['gateway']);
  });

  it('every ${VARIABLE} in docker-compose.yml is documented in .env.example', async () => {
    const text = await readFile(composeFile, 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    const example = await readFile(join(repoRoot, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });
});

describe('the gateway template as the nginx image renders it for compose', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-auth-nginx-t-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sets every template variable and passes nginx -t', async () => {
    const compose = await loadCompose();
    const conf = renderTemplate(
      await readFile(gatewayTemplate, 'utf8'),
      environmentOf(service(compose, 'gateway')),
    );
    expect(conf).not.toMatch(/\$\{GATEWAY_/);
    expect(conf).toContain('set $mcp_upstream mcp:3003;');
    await writeFile(join(dir, 'gateway.conf'), conf);
    await writeFile(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n access_log off;\n include ${dir}/gateway.conf;\n}\n`,
    );
    const r = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toMatch(/test is successful/);
    expect(r.status).toBe(0);
  });
});
