// BENCH_ONLY=hashing: what password hashing costs and whether it holds up other requests.
//  1. Login throughput per PASSWORD_HASH_COST: scrypt hashes per second through core's password
//     module (one login verifies one hash), at this process's PASSWORD_HASH_CONCURRENCY.
//  2. Token requests (client_credentials, RS256) under load while logins run: the authorization
//     server in its own process, p99 with no logins, then with logins at PASSWORD_HASH_CONCURRENCY
//     = cores - 1 (the default) and = cores, rounds in the order A B C A B C …
import { randomBytes } from 'node:crypto';
import { cpus as machineCpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BASE_SCOPE, createPrisma, hashPassword, passwordHashQueue } from '@mcp-auth/core';
import { addClient, authorize, type ClientCredentials, type User } from '../test/support/oauth-flow.ts';
import { tasksetWorks } from './cpus.ts';
import { forkServer } from './servers.ts';
import { createScratchDatabase } from './scratch.ts';
import { median } from './stats.ts';

export interface HashingBenchOptions {
  databaseUrl: string;
  seconds: number;
  rounds: number;
  connections: number;
  print: (line?: string) => void;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Hashes per second at each cost, a few seconds per cost whatever the machine. */
async function hashThroughput(print: (line?: string) => void): Promise<void> {
  print(`Password hashing (scrypt r=8 p=1), this process, PASSWORD_HASH_CONCURRENCY as set or cores - 1`);
  print(
    `  ${'PASSWORD_HASH_COST'.padEnd(20)}${'N'.padStart(9)}${'memory'.padStart(9)}${'ms/hash'.padStart(10)}${'logins/s'.padStart(10)}`,
  );
  for (const cost of [15, 16, 17, 18]) {
    const count = 2 ** (19 - cost); // 16 at 2^15 … 2 at 2^18
    const params = { N: 2 ** cost, r: 8, p: 1 };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, () => hashPassword('correct horse battery staple', params)),
    );
    const seconds = (performance.now() - started) / 1000;
    // Time per hash while it runs, not while it waits its turn: the total over the hashes run at once.
    const perHash = (seconds * 1000) / count;
    print(
      `  ${String(cost).padEnd(20)}${fmt(params.N).padStart(9)}${`${(128 * params.N * 8) / 2 ** 20} MiB`.padStart(9)}` +
        `${fmt(perHash).padStart(10)}${fmt(count / seconds, 1).padStart(10)}`,
    );
  }
  if (passwordHashQueue().running !== 0) throw new Error('hashes still running after the measurement');
}

interface ServerHandle {
  base: string;
  stop(): Promise<void>;
}

async function startServer(databaseUrl: string, concurrency: number): Promise<ServerHandle> {
  // The server gets every core (run.ts pinned this process, and so its children, to the load
  // generator's): how hashing on the thread pool competes with the event loop is what is measured.
  // Without taskset the child keeps this process's affinity.
  const cpus = tasksetWorks() ? `0-${machineCpus().length - 1}` : undefined;
  const server = await forkServer(fileURLToPath(new URL('./hashing-server.ts', import.meta.url)), {
    name: 'hashing bench',
    cpus,
    env: { BENCH_HASHING_DATABASE_URL: databaseUrl, PASSWORD_HASH_CONCURRENCY: String(concurrency) },
  });
  return { base: `http://127.0.0.1:${server.port}`, stop: server.stop };
}

interface Round {
  p50: number;
  p99: number;
  rps: number;
  logins: number;
}

/** Token requests for `seconds`, with `loginLoops` people logging in over and over meanwhile. */
async function round(
  base: string,
  tokenClient: Required<Pick<ClientCredentials, 'clientId' | 'secret'>>,
  loginClient: ClientCredentials,
  users: User[],
  loginLoops: number,
  seconds: number,
  connections: number,
): Promise<Round> {
  let stop = false;
  let logins = 0;
  const loops = users.slice(0, loginLoops).map(async (user) => {
    while (!stop) {
      await authorize({
        issuer: base,
        client: loginClient,
        user,
        resource: `${base}/mcp`,
        scope: BASE_SCOPE,
      });
      logins += 1;
    }
  });
  const result = await autocannon({
    url: `${base}/oauth/token`,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${tokenClient.clientId}:${tokenClient.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${base}/mcp` }).toString(),
    connections,
    duration: seconds,
    timeout: 10,
  });
  stop = true;
  await Promise.all(loops);
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(
      `token load had ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    logins: logins / seconds,
  };
}

export async function benchmarkHashing(opts: HashingBenchOptions): Promise<void> {
  const { print } = opts;
  await hashThroughput(print);
  print();

  // The machine's cores, not this process's: run.ts may have pinned the load generator to one.
  const cores = machineCpus().length;
  const database = await createScratchDatabase(opts.databaseUrl);
  const prisma = createPrisma(database.url, { max: 2 });
  const servers: ServerHandle[] = [];
  try {
    const tokenClient = {
      clientId: `bench-cc-${randomBytes(4).toString('hex')}`,
      secret: randomBytes(24).toString('base64url'),
    };
    await addClient(prisma, tokenClient, ['client_credentials']);
    const loginClient = await addClient(prisma, {
      clientId: `bench-login-${randomBytes(4).toString('hex')}`,
    });
    const loginLoops = cores * 2; // more people at the login form than hashes run at once
    const users: User[] = [];
    for (let i = 0; i < loginLoops; i++) {
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const username = `bench-user-${i}`;
      await prisma.user.create({ data: { username, passwordHash: await hashPassword(password) } });
      users.push({ username, password });
    }
    const settings = [
      { label: 'A no logins', concurrency: Math.max(1, cores - 1), loops: 0 },
      {
        label: `B logins, ${Math.max(1, cores - 1)} hash(es) at once (default)`,
        concurrency: Math.max(1, cores - 1),
        loops: loginLoops,
      },
      { label: `C logins, ${cores} hashes at once`, concurrency: cores, loops: loginLoops },
    ];
    const handles = await Promise.all(settings.map((s) => startServer(database.url, s.concurrency)));
    servers.push(...handles);
    // Warm-up: Prisma's first queries, the JIT, and one login each.
    for (const [i, s] of settings.entries())
      await round(
        handles[i]!.base,
        tokenClient,
        loginClient,
        users,
        Math.min(1, s.loops),
        1,
        opts.connections,
      );
    const runs: Round[][] = settings.map(() => []);
    for (let r = 0; r < opts.rounds; r++) {
      for (const [i, s] of settings.entries()) {
        runs[i]!.push(
          await round(
            handles[i]!.base,
            tokenClient,
            loginClient,
            users,
            s.loops,
            opts.seconds,
            opts.connections,
          ),
        );
      }
    }
    print(
      `Token requests (client_credentials, RS256, ${opts.connections} connections) while ${loginLoops} people log in over and ` +
        `over, PASSWORD_HASH_COST=${process.env.PASSWORD_HASH_COST ?? 17}: median of ${opts.rounds} runs of ${opts.seconds} s (A B C A B C …)`,
    );
    print(
      `  ${'server'.padEnd(42)}${'tokens/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'logins/s'.padStart(10)}`,
    );
    const summary = runs.map((rs) => ({
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      logins: median(rs.map((x) => x.logins)),
    }));
    for (const [i, s] of settings.entries()) {
      const m = summary[i]!;
      print(
        `  ${s.label.padEnd(42)}${fmt(m.rps).padStart(10)}${fmt(m.p50, 1).padStart(9)}${fmt(m.p99, 1).padStart(9)}${fmt(m.logins, 1).padStart(10)}`,
      );
    }
    const ratio = (i: number) => median(runs[i]!.map((x, r) => x.p99 / runs[0]![r]!.p99));
    print(
      `  token p99 with logins / without: B ${fmt(ratio(1), 2)}×, C ${fmt(ratio(2), 2)}× (median of per-round ratios)`,
    );
    print(
      `  load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on ${cores} cores`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await prisma.$disconnect();
    await database.drop();
  }
}
