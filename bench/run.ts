// `npm run bench`: one command, loopback only, bounded in time and requests.
//  1. Token verification: RS256 vs ES256 with jsonwebtoken (the numbers DESIGN "Tokens" quotes).
//  3. The authorizing proxy: tools/call through services/mcp to an MCP SDK upstream vs the same
//     upstream directly (throughput ratio, added p99), and the proxy's memory while 10,000 SSE events
//     stream through it (bench/proxy.ts). BENCH_ONLY=proxy runs this section alone.
//  2. Authorized tools/call (echo) through the real MCP app (bearer middleware: local JWT verification,
//     then the revocation check in Redis), against the same MCP handler with no authentication, each
//     server in its own process, runs alternating A B A B …, medians reported with the ratio.
//  4. The authorization server against node-oidc-provider 9 (bench/oauth.ts): client_credentials
//     token and introspection, ratios of throughput and CPU per request. BENCH_ONLY=oauth alone.
//  5. One authorization-code flow's server time, and a repeat with the remembered sign-in
//     (bench/flow.ts). BENCH_ONLY=flow alone.
//  6. Password hashing (bench/hashing.ts, BENCH_ONLY=hashing): logins/s per PASSWORD_HASH_COST, and
//     the p99 of token requests while logins run (its servers get every core).
// Pinned by default (BENCH_PIN, bench/cpus.ts): the server under test on CPU 0, the load generator on
// the others. BENCH_NODE_FLAGS passes Node flags (e.g. --cpu-prof) to the servers.
// Needs Redis (BENCH_REDIS_URL) and Postgres (BENCH_DATABASE_URL: a scratch database is created and
// dropped; the revocation store reads it only to rebuild its Redis set).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { revocationCompleteKey } from '@mcp-auth/resource-server';
import { z } from 'zod';
import {
  BASE_SCOPE,
  createLogger,
  createPrisma,
  createRedis,
  generateSigningKeyPem,
  loadConfig,
  postgresUrl,
  publicKeyPem,
  RedisRevocationStore,
  redisUrl,
  signAccessToken,
  signingKeyFromPem,
  type SigningKey,
} from '@mcp-auth/core';
import { ECHO_BODY, load, MCP_HEADERS, type LoadResult } from './load.ts';
import { benchmarkFlow } from './flow.ts';
import { benchmarkHashing } from './hashing.ts';
import { benchmarkOAuth } from './oauth.ts';
import { benchmarkProxy } from './proxy.ts';
import { createScratchDatabase, scratchKeyPrefix } from './scratch.ts';
import type { ServerSpec } from './server-spec.ts';
import { startServer, type ServerProcess } from './servers.ts';
import { median } from './stats.ts';
import { benchmarkVerification } from './verify-micro.ts';
import { cpuPlan, pin } from './cpus.ts';

const env = loadConfig({
  BENCH_REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  BENCH_DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/postgres'),
  /** Seconds per measured load run. */
  BENCH_DURATION: z.coerce.number().int().min(1).max(60).default(5),
  BENCH_WARMUP: z.coerce.number().int().min(1).max(30).default(2),
  /** Runs per server; an odd number gives a true median. */
  BENCH_ROUNDS: z.coerce.number().int().min(1).max(9).default(5),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(512).default(32),
  /** Connections for the proxy comparison (the issue's figure is at 10). */
  BENCH_PROXY_CONNECTIONS: z.coerce.number().int().min(1).max(512).default(10),
  /** SSE events streamed through the proxy while its memory is watched, and characters per event. */
  BENCH_SSE_EVENTS: z.coerce.number().int().min(100).max(100_000).default(10_000),
  BENCH_SSE_EVENT_SIZE: z.coerce.number().int().min(0).max(65_536).default(1024),
  /** Connections for the authorization server comparison (the issue's figure is at 10). */
  BENCH_OAUTH_CONNECTIONS: z.coerce.number().int().min(1).max(512).default(10),
  /** Authorization-code flows measured by the flow section. */
  BENCH_FLOWS: z.coerce.number().int().min(1).max(1000).default(200),
  /** Sections to run (comma-separated): verify, http, proxy, oauth, flow, hashing. */
  BENCH_ONLY: z.string().default('verify,http,proxy,oauth,flow,hashing'),
  /**
   * auto: pin the server under test to CPU 0 and the load generator (with the proxy, in the proxy
   * section) to the others, when there are two CPUs or more and taskset is installed; off: do not.
   */
  BENCH_PIN: z.enum(['auto', 'off']).default('auto'),
  /** Cap per load run, so a very fast machine still makes a bounded number of requests. */
  BENCH_MAX_REQUESTS: z.coerce.number().int().min(1000).default(500_000),
});

const ISSUER = 'http://localhost:8080';

const cpus = cpuPlan(env.BENCH_PIN);
// This process is the load generator (autocannon runs in it).
if (cpus) pin(process.pid, cpus.load);
const SCOPES = [BASE_SCOPE];

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const print = (line = '') => process.stdout.write(`${line}\n`);

function issueToken(key: SigningKey) {
  return signAccessToken(key, {
    issuer: ISSUER,
    subject: 'bench-user',
    audience: `${ISSUER}/mcp`,
    clientId: 'bench-client',
    scopes: SCOPES,
    sid: randomUUID(),
    ttlSeconds: 3600,
  });
}

async function post(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: ECHO_BODY,
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** The echo answer, or why there is none. */
function echoed(answer: { status: number; text: string }): boolean {
  if (answer.status !== 200) return false;
  const body = JSON.parse(answer.text) as { result?: { isError?: boolean; content?: { text?: string }[] } };
  return body.result?.isError !== true && body.result?.content?.[0]?.text === 'bench';
}

/**
 * Checks that each server does what the figures claim before any load: the authorized one answers
 * the token, refuses no token and a revoked token (so Redis is asked); the unauthorized one answers.
 */
async function checkServers(
  authorized: ServerProcess,
  unauthorized: ServerProcess,
  token: string,
  revokedToken: string,
): Promise<void> {
  const problems: string[] = [];
  if (!echoed(await post(authorized.url, { authorization: `Bearer ${token}` })))
    problems.push('authorized server did not answer echo with a valid token');
  if ((await post(authorized.url)).status !== 401)
    problems.push('authorized server accepted a request without token');
  if ((await post(authorized.url, { authorization: `Bearer ${revokedToken}` })).status !== 401)
    problems.push('authorized server accepted a revoked token');
  if (!echoed(await post(unauthorized.url))) problems.push('unauthorized server did not answer echo');
  if (problems.length) throw new Error(`servers are not set up as measured: ${problems.join('; ')}`);
}

function printVerification(): void {
  const rounds = env.BENCH_ROUNDS;
  print(`Access token verification, one core (median of ${rounds} rounds of 1 s, alternating)`);
  const results = benchmarkVerification({ rounds, ms: 1000 });
  print(`  ${'alg'.padEnd(7)}${'verifyAccessToken ops/s'.padStart(26)}${'jwt.verify ops/s'.padStart(20)}`);
  for (const r of results) {
    print(
      `  ${r.alg.padEnd(7)}${fmt(r.coreOpsPerSecond).padStart(26)}${fmt(r.jwtOpsPerSecond).padStart(20)}`,
    );
  }
  const rs = results.find((r) => r.alg === 'RS256')!;
  const es = results.find((r) => r.alg === 'ES256')!;
  print(
    `  RS256 / ES256: ${fmt(rs.coreOpsPerSecond / es.coreOpsPerSecond, 2)}× (verifyAccessToken), ` +
      `${fmt(rs.jwtOpsPerSecond / es.jwtOpsPerSecond, 2)}× (jwt.verify)`,
  );
  print();
}

async function benchmarkHttp(): Promise<void> {
  const database = await createScratchDatabase(env.BENCH_DATABASE_URL);
  const redisKeys = scratchKeyPrefix(env.BENCH_REDIS_URL);
  const servers: ServerProcess[] = [];
  try {
    const key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
    const base: Omit<ServerSpec, 'mode'> = {
      issuer: ISSUER,
      publicKeyPem: publicKeyPem(key),
      scopes: SCOPES,
      databaseUrl: database.url,
      redisUrl: env.BENCH_REDIS_URL,
      keyPrefix: redisKeys.keyPrefix,
    };
    // Both on the same CPU: they take turns, so each run has that core to itself.
    const [authorized, unauthorized] = await Promise.all([
      startServer({ ...base, mode: 'authorized' }, { cpus: cpus?.server }),
      startServer({ ...base, mode: 'unauthorized' }, { cpus: cpus?.server }),
    ]);
    servers.push(authorized, unauthorized);

    // A revoked token, recorded the way the authorization server records it (Postgres, then Redis).
    const revoked = issueToken(key);
    const prisma = createPrisma(database.url, { max: 1 });
    const redis = createRedis(env.BENCH_REDIS_URL);
    await redis.connect();
    try {
      const store = new RedisRevocationStore(
        redis,
        prisma,
        redisKeys.keyPrefix,
        createLogger('bench', 'error'),
      );
      await store.revoke([
        { kind: 'jti', value: revoked.claims.jti, expiresAt: new Date(revoked.claims.exp * 1000) },
      ]);
    } finally {
      redis.disconnect();
      await prisma.$disconnect();
    }
    const { token } = issueToken(key);
    await checkServers(authorized, unauthorized, token, revoked.token);

    const targets: {
      name: string;
      server: ServerProcess;
      headers: Record<string, string>;
      runs: LoadResult[];
    }[] = [
      {
        name: 'authorized',
        server: authorized,
        headers: { authorization: `Bearer ${token}` },
        runs: [] as LoadResult[],
      },
      { name: 'unauthorized', server: unauthorized, headers: {}, runs: [] as LoadResult[] },
    ];
    const options = { connections: env.BENCH_CONNECTIONS, maxRequests: env.BENCH_MAX_REQUESTS };
    for (const t of targets) await load(t.server.url, t.headers, { ...options, seconds: env.BENCH_WARMUP });
    for (let round = 0; round < env.BENCH_ROUNDS; round++) {
      for (const t of targets) {
        const result = await load(t.server.url, t.headers, { ...options, seconds: env.BENCH_DURATION });
        t.runs.push(result);
        process.stderr.write(
          `  run ${round + 1}/${env.BENCH_ROUNDS} ${t.name.padEnd(12)} ${fmt(result.requestsPerSecond)} req/s\n`,
        );
      }
    }

    print(
      `MCP tools/call (echo) over loopback HTTP: ${env.BENCH_CONNECTIONS} connections, median of ` +
        `${env.BENCH_ROUNDS} runs of ${env.BENCH_DURATION} s each (order A B A B …, after ${env.BENCH_WARMUP} s warm-up)`,
    );
    print(`  ${'server'.padEnd(34)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
    const summary = targets.map((t) => ({
      name: t.name,
      rps: median(t.runs.map((r) => r.requestsPerSecond)),
      p50: median(t.runs.map((r) => r.p50Ms)),
      p99: median(t.runs.map((r) => r.p99Ms)),
    }));
    const labels: Record<string, string> = {
      authorized: 'A authorized (JWT + Redis check)',
      unauthorized: 'B no auth (same MCP handler)',
    };
    for (const s of summary) {
      print(
        `  ${labels[s.name]!.padEnd(34)}${fmt(s.rps).padStart(10)}${fmt(s.p50, 1).padStart(9)}${fmt(s.p99, 1).padStart(9)}`,
      );
    }
    // Each round's pair ran back to back, so its ratio is less exposed to the machine's drift than the
    // ratio of the medians; both are shown.
    const [a, b] = targets;
    const paired = median(a!.runs.map((run, i) => run.requestsPerSecond / b!.runs[i]!.requestsPerSecond));
    print(
      `  ratio authorized / unauthorized throughput: ${fmt(paired, 3)} (median of per-round ratios; ` +
        `ratio of medians ${fmt(summary[0]!.rps / summary[1]!.rps, 3)}; goal ≥ 0.95)`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redisKeys.clean();
    await database.drop();
  }
}

async function benchmarkProxyRuns(): Promise<void> {
  const database = await createScratchDatabase(env.BENCH_DATABASE_URL);
  const redisKeys = scratchKeyPrefix(env.BENCH_REDIS_URL);
  try {
    // The proxy's revocation check asks Redis: a complete (empty) set, as authz leaves it.
    const redis = createRedis(env.BENCH_REDIS_URL);
    await redis.connect();
    await redis.set(revocationCompleteKey(redisKeys.keyPrefix), String(Date.now()));
    redis.disconnect();
    await benchmarkProxy({
      key: signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256'),
      issuer: ISSUER,
      scopes: SCOPES,
      databaseUrl: database.url,
      redisUrl: env.BENCH_REDIS_URL,
      keyPrefix: redisKeys.keyPrefix,
      connections: env.BENCH_PROXY_CONNECTIONS,
      seconds: env.BENCH_DURATION,
      warmupSeconds: env.BENCH_WARMUP,
      rounds: env.BENCH_ROUNDS,
      maxRequests: env.BENCH_MAX_REQUESTS,
      events: env.BENCH_SSE_EVENTS,
      eventSize: env.BENCH_SSE_EVENT_SIZE,
      cpus,
    });
  } finally {
    await redisKeys.clean();
    await database.drop();
  }
}

const sections = new Set(env.BENCH_ONLY.split(',').map((s) => s.trim()));
print(
  cpus
    ? `CPUs: servers under test on ${cpus.server}, load generator on ${cpus.load} (taskset; BENCH_PIN=off to not pin); ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`
    : `CPUs: not pinned; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
);
print();
if (sections.has('verify')) printVerification();
if (sections.has('http')) await benchmarkHttp();
if (sections.has('proxy')) await benchmarkProxyRuns();
if (sections.has('oauth')) {
  await benchmarkOAuth({
    databaseUrl: env.BENCH_DATABASE_URL,
    redisUrl: env.BENCH_REDIS_URL,
    connections: env.BENCH_OAUTH_CONNECTIONS,
    seconds: env.BENCH_DURATION,
    warmupSeconds: env.BENCH_WARMUP,
    rounds: env.BENCH_ROUNDS,
    maxRequests: env.BENCH_MAX_REQUESTS,
    cpus,
  });
}
if (sections.has('flow'))
  await benchmarkFlow({ databaseUrl: env.BENCH_DATABASE_URL, flows: env.BENCH_FLOWS });
if (sections.has('hashing')) {
  await benchmarkHashing({
    databaseUrl: env.BENCH_DATABASE_URL,
    seconds: env.BENCH_DURATION,
    rounds: env.BENCH_ROUNDS,
    connections: env.BENCH_PROXY_CONNECTIONS,
    print,
  });
}
