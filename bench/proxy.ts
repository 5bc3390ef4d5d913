// The authorizing proxy (services/mcp with an upstream): tools/call through it against the same
// upstream MCP server called directly, and the proxy's memory while a long SSE answer streams.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { publicKeyPem, signAccessToken, type SigningKey } from '@mcp-auth/core';
import { cpuTimeMs, systemCalls, type CpuPlan } from './cpus.ts';
import { load, MCP_HEADERS, type LoadResult } from './load.ts';
import { startServer, type ServerProcess } from './servers.ts';
import type { ServerSpec } from './server-spec.ts';
import { median } from './stats.ts';

export interface ProxyBenchOptions {
  key: SigningKey;
  issuer: string;
  scopes: string[];
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  maxRequests: number;
  /** SSE events in the memory run, and the characters of each. */
  events: number;
  eventSize: number;
  /** Where the upstream and the proxy run (bench/cpus.ts); unpinned when absent. */
  cpus?: CpuPlan;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const print = (line = '') => process.stdout.write(`${line}\n`);

/** Resident memory of a process (Linux /proc), in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** One tools/call of `count` through the proxy, read to the end while the proxy's RSS is sampled. */
async function streamEvents(
  proxy: ServerProcess,
  token: string,
  events: number,
  eventSize: number,
): Promise<{ bytes: number; events: number; peakMb: number }> {
  let peakMb = await rssMb(proxy.pid);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakMb = Math.max(peakMb, await rssMb(proxy.pid));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const res = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'count', arguments: { to: events, pad: eventSize } },
    }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`SSE run answered ${res.status}`);
  let bytes = 0;
  let seen = 0;
  // An event may be split across chunks: keep the end of the previous one, shorter than the marker.
  const marker = 'notifications/message';
  let carry = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    bytes += chunk.byteLength;
    const text = carry + decoder.decode(chunk, { stream: true });
    seen += text.split(marker).length - 1;
    carry = text.slice(-(marker.length - 1));
  }
  sampling = false;
  await sampler;
  return { bytes, events: seen, peakMb };
}

export async function benchmarkProxy(o: ProxyBenchOptions): Promise<void> {
  const servers: ServerProcess[] = [];
  try {
    const base: Omit<ServerSpec, 'mode'> = {
      issuer: o.issuer,
      publicKeyPem: publicKeyPem(o.key),
      scopes: o.scopes,
      databaseUrl: o.databaseUrl,
      redisUrl: o.redisUrl,
      keyPrefix: o.keyPrefix,
    };
    // Pinned, the upstream has CPU 0 to itself in both kinds of run, and the proxy shares the load
    // generator's: the ratio then shows what the extra hop costs the client in throughput and
    // latency, and the CPU time per request below shows what it costs in CPU.
    const upstream = await startServer({ ...base, mode: 'upstream' }, { cpus: o.cpus?.server });
    servers.push(upstream);
    const proxy = await startServer(
      { ...base, mode: 'proxy', upstreamUrl: upstream.url },
      { cpus: o.cpus?.load },
    );
    servers.push(proxy);
    const { token } = signAccessToken(o.key, {
      issuer: o.issuer,
      subject: 'bench-user',
      audience: `${o.issuer}/mcp`,
      clientId: 'bench-client',
      scopes: o.scopes,
      sid: randomUUID(),
      ttlSeconds: 3600,
    });
    // The proxy must refuse what the upstream would answer, or it measures nothing.
    const anonymous = await fetch(proxy.url, { method: 'POST', headers: MCP_HEADERS, body: '{}' });
    if (anonymous.status !== 401) throw new Error(`proxy answered ${anonymous.status} without a token`);

    const targets: {
      name: string;
      label: string;
      url: string;
      headers: Record<string, string>;
      runs: LoadResult[];
      /** CPU milliseconds per request over the measured runs, of the upstream and of the proxy. */
      cpu: { upstream: number; proxy: number; proxyCalls: number; load: number; requests: number };
    }[] = [
      {
        name: 'direct',
        label: 'B upstream called directly',
        url: upstream.url,
        headers: {},
        runs: [] as LoadResult[],
        cpu: { upstream: 0, proxy: 0, proxyCalls: 0, load: 0, requests: 0 },
      },
      {
        name: 'proxy',
        label: 'A through the proxy (JWT + Redis)',
        url: proxy.url,
        headers: { authorization: `Bearer ${token}` },
        runs: [] as LoadResult[],
        cpu: { upstream: 0, proxy: 0, proxyCalls: 0, load: 0, requests: 0 },
      },
    ];
    const options = { connections: o.connections, maxRequests: o.maxRequests };
    for (const t of targets) await load(t.url, t.headers, { ...options, seconds: o.warmupSeconds });
    for (let round = 0; round < o.rounds; round++) {
      for (const t of targets) {
        const sample = () =>
          Promise.all([cpuTimeMs(upstream.pid), cpuTimeMs(proxy.pid), systemCalls(proxy.pid)]);
        const cpuBefore = await sample();
        const loadBefore = process.cpuUsage();
        const result = await load(t.url, t.headers, { ...options, seconds: o.seconds });
        const loadUsed = process.cpuUsage(loadBefore);
        const cpuAfter = await sample();
        t.cpu.load += (loadUsed.user + loadUsed.system) / 1000;
        t.runs.push(result);
        t.cpu.upstream += cpuAfter[0] - cpuBefore[0];
        t.cpu.proxy += cpuAfter[1] - cpuBefore[1];
        t.cpu.proxyCalls += cpuAfter[2] - cpuBefore[2];
        t.cpu.requests += result.requests;
        process.stderr.write(
          `  proxy run ${round + 1}/${o.rounds} ${t.name.padEnd(7)} ${fmt(result.requestsPerSecond)} req/s\n`,
        );
      }
    }
    print(
      `Authorizing proxy: tools/call (echo) to an MCP SDK upstream, ${o.connections} connections, median of ` +
        `${o.rounds} runs of ${o.seconds} s (alternating, after ${o.warmupSeconds} s warm-up)`,
    );
    print(`  ${'path'.padEnd(36)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
    const summary = targets.map((t) => ({
      label: t.label,
      rps: median(t.runs.map((r) => r.requestsPerSecond)),
      p50: median(t.runs.map((r) => r.p50Ms)),
      p99: median(t.runs.map((r) => r.p99Ms)),
    }));
    for (const s of summary) {
      print(
        `  ${s.label.padEnd(36)}${fmt(s.rps).padStart(10)}${fmt(s.p50, 1).padStart(9)}${fmt(s.p99, 1).padStart(9)}`,
      );
    }
    const [direct, proxied] = targets;
    const ratio = median(
      proxied!.runs.map((r, i) => r.requestsPerSecond / direct!.runs[i]!.requestsPerSecond),
    );
    const addedP99 = median(proxied!.runs.map((r, i) => r.p99Ms - direct!.runs[i]!.p99Ms));
    print(`  proxy / direct throughput: ${fmt(ratio, 3)} (median of per-round ratios; goal ≥ 0.9)`);
    print(`  added p99 latency at full speed: ${fmt(addedP99, 2)} ms (median of per-round differences)`);
    // At full speed the upstream's core is saturated, so p99 is mostly its queue, whichever path
    // is measured. The added latency is therefore also compared at one fixed offered rate, half of
    // the direct throughput, with the same 10 connections: what the extra hop adds to a request
    // that does not wait in a queue.
    const rate = Math.max(1, Math.round(summary[0]!.rps * 0.5));
    const paced: Record<string, LoadResult[]> = { direct: [], proxy: [] };
    for (let round = 0; round < o.rounds; round++) {
      for (const t of targets) {
        paced[t.name]!.push(await load(t.url, t.headers, { ...options, seconds: o.seconds, rate }));
      }
    }
    const pacedP99 = (name: string) => median(paced[name]!.map((r) => r.p99Ms));
    const addedPacedP99 = median(paced.proxy!.map((r, i) => r.p99Ms - paced.direct![i]!.p99Ms));
    print(
      `  at ${fmt(rate)} req/s (half the direct throughput): p99 direct ${fmt(pacedP99('direct'), 1)} ms, ` +
        `proxied ${fmt(pacedP99('proxy'), 1)} ms; added p99 ${fmt(addedPacedP99, 2)} ms ` +
        `(median of per-round differences; goal < 2 ms)`,
    );
    const perRequest = (ms: number, requests: number) => fmt(ms / requests, 3);
    print(
      `  CPU per request: upstream ${perRequest(direct!.cpu.upstream, direct!.cpu.requests)} ms direct, ` +
        `${perRequest(proxied!.cpu.upstream, proxied!.cpu.requests)} ms proxied; ` +
        `proxy ${perRequest(proxied!.cpu.proxy, proxied!.cpu.requests)} ms ` +
        `(${fmt(proxied!.cpu.proxyCalls / proxied!.cpu.requests, 1)} read/write system calls); ` +
        `load generator ${perRequest(direct!.cpu.load + proxied!.cpu.load, direct!.cpu.requests + proxied!.cpu.requests)} ms`,
    );
    print();

    // Memory: a short stream first, so the measured one starts from a warmed-up process.
    await streamEvents(proxy, token, 100, o.eventSize);
    const before = await rssMb(proxy.pid);
    const streamed = await streamEvents(proxy, token, o.events, o.eventSize);
    const after = await rssMb(proxy.pid);
    if (streamed.events !== o.events) throw new Error(`streamed ${streamed.events} of ${o.events} events`);
    print(
      `Proxy memory while ${fmt(o.events)} SSE events (${fmt(streamed.bytes / 1024 / 1024, 1)} MB) stream through one response`,
    );
    print(
      `  RSS before ${fmt(before, 1)} MB, peak ${fmt(streamed.peakMb, 1)} MB (+${fmt(streamed.peakMb - before, 1)} MB), ` +
        `after ${fmt(after, 1)} MB`,
    );
    print();
  } finally {
    await Promise.all(servers.reverse().map((s) => s.stop()));
  }
}
