// `npm run bench` section "oauth": mcp-auth's authorization server against node-oidc-provider 9 at
// the token endpoint (client_credentials, RS256 JWT access tokens) and at introspection. Each server
// runs on the server CPU of the bench's plan (bench/cpus.ts), the load generator (this process,
// autocannon) on the others; the two servers alternate A B A B … and each round's ratio is taken
// back to back. BENCH_NODE_FLAGS (e.g. --cpu-prof) applies to our server.
// Ours runs as production runs it: the bundled dist/authz.js (`npm run build`), its default log
// level, Postgres and Redis.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPrisma,
  generateSigningKeyPem,
  keySet,
  sha256,
  signingKeyFromPem,
  startOwnedProcess,
  verifyAccessToken,
  type OwnedProcess,
} from '@mcp-auth/core';
import { cpuTimeMs, type CpuPlan } from './cpus.ts';
import { loadRequest, type LoadResult } from './load.ts';
import { createScratchDatabase, scratchKeyPrefix } from './scratch.ts';
import { median } from './stats.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const ISSUER = 'http://localhost:8080';
const RESOURCE = `${ISSUER}/mcp`;
/** node-oidc-provider introspects only tokens it stores: its opaque format, for this resource. */
const OPAQUE_RESOURCE = `${ISSUER}/opaque`;
const SCOPE = 'mcp:tools';

export interface OAuthBenchOptions {
  databaseUrl: string;
  redisUrl: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  maxRequests: number;
  /** Where the servers and the load generator run; unset, not pinned. */
  cpus?: CpuPlan;
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The server process, whose CPU time is read around each run. */
  pid: number;
}

interface Run extends LoadResult {
  /** CPU time (user + system, every thread) the server spent per request, in microseconds. */
  cpuMicros: number;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const print = (line = '') => process.stdout.write(`${line}\n`);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

async function startServer(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  cpus: CpuPlan | undefined,
): Promise<{ process: OwnedProcess; port: number }> {
  const command = cpus ? ['taskset', '-c', cpus.server, process.execPath] : [process.execPath];
  const child = await startOwnedProcess(command[0]!, [...command.slice(1), ...args], {
    stopSignal: 'TERM',
    cwd: REPO,
    env,
  });
  try {
    const match = await child.waitFor(ready, 30_000);
    return { process: child, port: Number(match[1]) };
  } catch (err) {
    await child.stop(2000);
    throw new Error(`${name} did not start: ${(err as Error).message}\n${child.output()}`, { cause: err });
  }
}

async function postForm(target: Target): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function tokenOf(target: Target): Promise<string> {
  const r = await postForm(target);
  if (r.status !== 200 || typeof r.body.access_token !== 'string') {
    throw new Error(`${target.name}: no token (${r.status} ${JSON.stringify(r.body)})`);
  }
  return r.body.access_token;
}

/** Alternates the targets round by round; returns each one's runs. */
async function alternate(targets: Target[], opts: OAuthBenchOptions): Promise<Run[][]> {
  const load = { connections: opts.connections, maxRequests: opts.maxRequests };
  for (const t of targets) await loadRequest(t.url, t, { ...load, seconds: opts.warmupSeconds });
  const runs: Run[][] = targets.map(() => []);
  for (let round = 0; round < opts.rounds; round++) {
    for (const [i, t] of targets.entries()) {
      const before = await cpuTimeMs(t.pid);
      const r = await loadRequest(t.url, t, { ...load, seconds: opts.seconds });
      runs[i]!.push({ ...r, cpuMicros: (((await cpuTimeMs(t.pid)) - before) * 1000) / r.requests });
      process.stderr.write(
        `  run ${round + 1}/${opts.rounds} ${t.name.padEnd(34)} ${fmt(r.requestsPerSecond)} req/s\n`,
      );
    }
  }
  return runs;
}

function report(title: string, targets: Target[], runs: Run[][], goal: number): void {
  print(title);
  print(
    `  ${'server'.padEnd(40)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'CPU µs/req'.padStart(12)}`,
  );
  for (const [i, t] of targets.entries()) {
    const r = runs[i]!;
    const rps = median(r.map((x) => x.requestsPerSecond));
    const p50 = median(r.map((x) => x.p50Ms));
    const p99 = median(r.map((x) => x.p99Ms));
    const cpu = median(r.map((x) => x.cpuMicros));
    print(
      `  ${t.name.padEnd(40)}${fmt(rps).padStart(10)}${fmt(p50, 1).padStart(9)}${fmt(p99, 1).padStart(9)}${fmt(cpu).padStart(12)}`,
    );
  }
  const [ours, theirs] = runs as [Run[], Run[]];
  const ratio = median(ours.map((r, i) => r.requestsPerSecond / theirs[i]!.requestsPerSecond));
  // On a shared machine throughput follows the CPU share each server got; CPU per request does not.
  const cpuRatio = median(ours.map((r, i) => theirs[i]!.cpuMicros / r.cpuMicros));
  print(
    `  ratio mcp-auth / node-oidc-provider: throughput ${fmt(ratio, 2)}× (median of per-round ratios; goal ≥ ${goal}); ` +
      `CPU efficiency ${fmt(cpuRatio, 2)}× (their CPU per request / ours)`,
  );
}

export async function benchmarkOAuth(opts: OAuthBenchOptions): Promise<void> {
  // Production runs the bundle: build it from the current sources.
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stderr}`);

  const database = await createScratchDatabase(opts.databaseUrl);
  const redisKeys = scratchKeyPrefix(opts.redisUrl);
  const dir = mkdtempSync(join(tmpdir(), 'mcpauth-bench-'));
  const servers: OwnedProcess[] = [];
  try {
    const pem = generateSigningKeyPem('RS256');
    const keyPath = join(dir, 'signing-key.pem');
    writeFileSync(keyPath, pem, { mode: 0o600 });
    const signingKey = signingKeyFromPem(pem, 'RS256');
    const client = { id: `bench-${randomUUID()}`, secret: randomUUID() + randomUUID() };

    // The client as operator registration stores it (secret hashed).
    const prisma = createPrisma(database.url, { max: 1 });
    try {
      await prisma.oAuthClient.create({
        data: {
          id: client.id,
          secretHash: sha256(client.secret),
          tokenEndpointAuthMethod: 'client_secret_basic',
          redirectUris: [],
          grantTypes: ['client_credentials'],
          responseTypes: [],
          scope: SCOPE,
          metadata: {},
        },
      });
    } finally {
      await prisma.$disconnect();
    }

    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const ours = await startServer(
      'mcp-auth (dist/authz.js)',
      [...nodeFlags, 'dist/authz.js'],
      {
        ...process.env,
        NODE_ENV: 'production',
        PUBLIC_URL: ISSUER,
        PORT: '0',
        DATABASE_URL: database.url,
        REDIS_URL: opts.redisUrl,
        REDIS_KEY_PREFIX: redisKeys.keyPrefix,
        JWT_PRIVATE_KEY_PATH: keyPath,
        DATA_DIR: dir,
      },
      /"port":(\d+)[^\n]*"msg":"listening"/,
      opts.cpus,
    );
    servers.push(ours.process);
    const peer = await startServer(
      'node-oidc-provider',
      ['bench/oidc-provider-server.mjs'],
      {
        ...process.env,
        NODE_ENV: 'production',
        BENCH_PEER: JSON.stringify({
          issuer: ISSUER,
          jwtResource: RESOURCE,
          opaqueResource: OPAQUE_RESOURCE,
          scope: SCOPE,
          clientId: client.id,
          clientSecret: client.secret,
          privateJwk: { ...createPrivateKey(pem).export({ format: 'jwk' }), alg: 'RS256', use: 'sig' },
        }),
      },
      /listening (\d+)/,
      opts.cpus,
    );
    servers.push(peer.process);

    const auth = basic(client.id, client.secret);
    const headers = { 'content-type': FORM, authorization: auth };
    const tokenBody = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: SCOPE,
      resource: RESOURCE,
    });
    const tokenTargets: Target[] = [
      {
        name: 'A mcp-auth (RS256 JWT)',
        url: `http://127.0.0.1:${ours.port}/oauth/token`,
        pid: ours.process.pid,
        headers,
        body: tokenBody.toString(),
      },
      {
        name: 'B node-oidc-provider (RS256 JWT)',
        url: `http://127.0.0.1:${peer.port}/token`,
        pid: peer.process.pid,
        headers,
        body: tokenBody.toString(),
      },
    ];

    // What the figures claim: both issue RS256 JWTs for the resource; both introspect as active.
    const ourToken = await tokenOf(tokenTargets[0]!);
    verifyAccessToken(ourToken, keySet([signingKey]), { issuer: ISSUER, audience: RESOURCE });
    const peerToken = await tokenOf(tokenTargets[1]!);
    const peerHeader = JSON.parse(Buffer.from(peerToken.split('.')[0]!, 'base64url').toString()) as {
      alg?: string;
    };
    if (peerHeader.alg !== 'RS256') throw new Error(`node-oidc-provider signed with ${peerHeader.alg}`);
    const peerOpaque = await tokenOf({
      ...tokenTargets[1]!,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: SCOPE,
        resource: OPAQUE_RESOURCE,
      }).toString(),
    });
    const introspectionTargets: Target[] = [
      {
        name: 'A mcp-auth (its JWT)',
        url: `http://127.0.0.1:${ours.port}/oauth/introspect`,
        pid: ours.process.pid,
        headers,
        body: new URLSearchParams({ token: ourToken }).toString(),
      },
      {
        name: 'B node-oidc-provider (its opaque token)',
        url: `http://127.0.0.1:${peer.port}/token/introspection`,
        pid: peer.process.pid,
        headers,
        body: new URLSearchParams({ token: peerOpaque }).toString(),
      },
    ];
    for (const t of introspectionTargets) {
      const r = await postForm(t);
      if (r.body.active !== true) throw new Error(`${t.name}: introspection says ${JSON.stringify(r.body)}`);
    }

    const load = `${opts.connections} connections, median of ${opts.rounds} runs of ${opts.seconds} s (A B A B …, after ${opts.warmupSeconds} s warm-up)`;
    print(
      `Authorization server vs node-oidc-provider 9, ${opts.cpus ? `each on CPU ${opts.cpus.server}, load generator on ${opts.cpus.load}` : 'not pinned'}; ${load}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    report('  client_credentials token (RS256 JWT)', tokenTargets, await alternate(tokenTargets, opts), 1.2);
    report('  introspection', introspectionTargets, await alternate(introspectionTargets, opts), 1.0);
    print(
      `  load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    print();
  } finally {
    await Promise.all(servers.map((s) => s.stop(5000)));
    rmSync(dir, { recursive: true, force: true });
    await redisKeys.clean();
    await database.drop();
  }
}
