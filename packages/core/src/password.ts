import { availableParallelism } from 'node:os';
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';
import { z } from 'zod';
import { loadConfig } from './config.ts';

/**
 * The operator's choice of hashing cost. PASSWORD_HASH_COST is log2 of scrypt's N (r=8, p=1): 17 is
 * OWASP's minimum (2023) and the default; each step doubles the time and the memory of a hash
 * (128 MiB at 17). README "Password hashing" lists the login throughput measured for each value.
 * PASSWORD_HASH_CONCURRENCY caps the hashes computed at once; the default (cores - 1, at most
 * UV_THREADPOOL_SIZE - 1) leaves one core to the event loop, so token requests keep their latency
 * while logins run, and keeps a thread of libuv's pool free for DNS lookups and file reads.
 */
// libuv reads UV_THREADPOOL_SIZE once, at its first use of the pool; 4 when unset.
const threadPoolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;

export const passwordHashEnv = {
  PASSWORD_HASH_COST: z.coerce.number().int().min(15).max(18).default(17),
  PASSWORD_HASH_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .refine(
      (n) => n === 1 || n < threadPoolSize,
      `must be below UV_THREADPOOL_SIZE (${threadPoolSize}), so that a thread stays free for DNS lookups and files; raise UV_THREADPOOL_SIZE with it`,
    )
    .default(Math.max(1, Math.min(availableParallelism() - 1, threadPoolSize - 1))),
};

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

const R = 8;
const P = 1;
const KEYLEN = 32;

// Read from the environment once, when the first password is hashed, so that every process that
// hashes (the services, the user CLIs, the tests) follows the same variables without plumbing;
// the services also validate them at start, with the rest of their configuration.
let settings: { parameters: ScryptParameters; limit: ReturnType<typeof pLimit> } | undefined;
function current() {
  if (!settings) {
    const env = loadConfig(passwordHashEnv);
    settings = {
      parameters: { N: 2 ** env.PASSWORD_HASH_COST, r: R, p: P },
      limit: pLimit(env.PASSWORD_HASH_CONCURRENCY),
    };
  }
  return settings;
}

/**
 * Replaces the parameters new hashes get, for this process: benchmarks that measure a login flow
 * "without the hash" (bench/flow.ts) store and verify at a negligible cost, and a login must then
 * not re-hash at PASSWORD_HASH_COST. Not for production code: there the variable decides.
 */
export function usePasswordHashParameters(parameters: ScryptParameters): void {
  current().parameters = { ...parameters };
}

/** The parameters new hashes get (from PASSWORD_HASH_COST). */
export const currentScryptParameters = (): ScryptParameters => ({ ...current().parameters });

/** Hashes running now and waiting for a turn (for the bench and tests). */
export function passwordHashQueue(): { running: number; waiting: number } {
  const { limit } = current();
  return { running: limit.activeCount, waiting: limit.pendingCount };
}

// scrypt needs 128·N·r bytes; Node refuses more than `maxmem` (32 MiB by default).
const maxmemFor = ({ N, r, p }: ScryptParameters) => 128 * N * r * p + 1024 * 1024;

/**
 * The asynchronous scrypt: it runs on libuv's thread pool, never on the event loop. The limit
 * queues the rest when PASSWORD_HASH_CONCURRENCY hashes are already running.
 */
function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParameters): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: maxmemFor(params) };
  return current().limit(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

interface StoredHash extends ScryptParameters {
  salt: Buffer;
  hash: Buffer;
}

/**
 * Format: scrypt$N$r$p$salt$hash (base64url). Parameters outside what this code would ever have
 * written are refused (fail closed), rather than letting a stored value ask for gigabytes.
 */
function parse(stored: string): StoredHash | null {
  const [alg, n, rr, pp, salt, hash, extra] = stored.split('$');
  if (alg !== 'scrypt' || !n || !rr || !pp || !salt || !hash || extra !== undefined) return null;
  const [N, r, p] = [Number(n), Number(rr), Number(pp)];
  const log2N = Math.log2(N);
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > 20) return null;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return null;
  const key = Buffer.from(hash, 'base64url');
  if (key.length < 16 || key.length > 64) return null;
  return { N, r, p, salt: Buffer.from(salt, 'base64url'), hash: key };
}

/** A new hash with the current parameters (or the ones given, for tests of older hashes). */
export async function hashPassword(
  password: string,
  params: ScryptParameters = current().parameters,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, KEYLEN, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** Verifies against the parameters stored with the hash, whatever the current ones are. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await scrypt(password.normalize('NFKC'), parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(key, parsed.hash);
}

/**
 * Whether a stored hash was made with other parameters than the current ones (an older default,
 * or before the operator changed PASSWORD_HASH_COST): the login that proves the password then
 * stores a new hash, since that is the only moment the password is known.
 */
export function passwordNeedsRehash(stored: string): boolean {
  const parsed = parse(stored);
  const { N, r, p } = current().parameters;
  return !parsed || parsed.N !== N || parsed.r !== r || parsed.p !== p || parsed.hash.length !== KEYLEN;
}

// A hash of a random password, verified against when the username is unknown, so that unknown
// users and wrong passwords take the same time (no user enumeration by timing).
let dummy: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
