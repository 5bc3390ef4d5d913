import { afterEach, describe, expect, it, vi } from 'vitest';

// The password module reads its variables once, at the first hash: each test loads a fresh copy
// under the environment it sets.
async function loadWith(env: Record<string, string>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import('./password.ts');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

// A hash written by the code before PASSWORD_HASH_COST existed (N=2^17): the format is unchanged,
// so it must keep verifying.
const LEGACY = 'scrypt$131072$8$1$rr90dq4jlW7lgi9doGnQ2Q$He6zHjp1YbcIY_3RIvc2Ff2bQOHRJs0xSSLAbMipaFo';

describe('password hashing', { timeout: 60_000 }, () => {
  it('hashes with the cost PASSWORD_HASH_COST names, and the hash carries its parameters', async () => {
    const pw = await loadWith({ PASSWORD_HASH_COST: '15' });
    expect(pw.currentScryptParameters()).toEqual({ N: 2 ** 15, r: 8, p: 1 });
    const hash = await pw.hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await pw.verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await pw.verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(pw.passwordNeedsRehash(hash)).toBe(false);
  });

  it('verifies a hash made before the cost was configurable, and says it needs a new one at another cost', async () => {
    const pw = await loadWith({ PASSWORD_HASH_COST: '15' });
    expect(await pw.verifyPassword('correct horse battery staple', LEGACY)).toBe(true);
    expect(await pw.verifyPassword('Correct horse battery staple', LEGACY)).toBe(false);
    expect(pw.passwordNeedsRehash(LEGACY)).toBe(true);
  });

  it('keeps the OWASP minimum (N=2^17) by default', async () => {
    const pw = await loadWith({});
    expect(pw.currentScryptParameters()).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(pw.passwordNeedsRehash(LEGACY)).toBe(false);
  });

  it('refuses a cost outside 15-18 with a message naming the variable', async () => {
    for (const value of ['14', '19', '17.5', 'high']) {
      const pw = await loadWith({ PASSWORD_HASH_COST: value });
      expect(() => pw.currentScryptParameters()).toThrow(/PASSWORD_HASH_COST/);
    }
  });

  it('refuses a concurrency that would take every thread of the pool', async () => {
    const pw = await loadWith({ PASSWORD_HASH_CONCURRENCY: '4', UV_THREADPOOL_SIZE: '4' });
    expect(() => pw.currentScryptParameters()).toThrow(
      /PASSWORD_HASH_CONCURRENCY: must be below UV_THREADPOOL_SIZE \(4\)/,
    );
    const ok = await loadWith({ PASSWORD_HASH_CONCURRENCY: '3', UV_THREADPOOL_SIZE: '4' });
    expect(ok.currentScryptParameters().N).toBe(2 ** 17);
  });

  it('verifies at the parameters a benchmark set for this process, and does not re-hash them', async () => {
    const pw = await loadWith({});
    pw.usePasswordHashParameters({ N: 2, r: 1, p: 1 });
    const hash = await pw.hashPassword('cheap');
    expect(hash).toMatch(/^scrypt\$2\$1\$1\$/);
    expect(await pw.verifyPassword('cheap', hash)).toBe(true);
    expect(pw.passwordNeedsRehash(hash)).toBe(false);
    expect(pw.passwordNeedsRehash(LEGACY)).toBe(true);
  });

  it('refuses stored hashes it cannot have written, without running scrypt on them', async () => {
    const pw = await loadWith({ PASSWORD_HASH_COST: '15' });
    const [, , r, p, salt, key] = LEGACY.split('$');
    for (const stored of [
      'not-a-hash',
      `bcrypt$131072$${r}$${p}$${salt}$${key}`,
      `scrypt$1073741824$${r}$${p}$${salt}$${key}`, // 2^30: 1 TiB of memory
      `scrypt$100000$${r}$${p}$${salt}$${key}`, // not a power of two
      `scrypt$1$${r}$${p}$${salt}$${key}`, // 2^0: scrypt refuses N < 2
      `scrypt$131072$64$${p}$${salt}$${key}`,
      `scrypt$131072$${r}$${p}$${salt}$${key}$extra`,
    ]) {
      expect(await pw.verifyPassword('correct horse battery staple', stored)).toBe(false);
      expect(pw.passwordNeedsRehash(stored)).toBe(true);
    }
  });

  it('runs no more hashes at once than PASSWORD_HASH_CONCURRENCY, and queues the rest', async () => {
    const pw = await loadWith({ PASSWORD_HASH_COST: '15', PASSWORD_HASH_CONCURRENCY: '1' });
    const all = Promise.all([pw.hashPassword('a'), pw.hashPassword('b'), pw.hashPassword('c')]);
    let finished = false;
    void all.then(() => (finished = true));
    let mostRunning = 0;
    let mostWaiting = 0;
    while (!finished) {
      const { running, waiting } = pw.passwordHashQueue();
      mostRunning = Math.max(mostRunning, running);
      mostWaiting = Math.max(mostWaiting, waiting);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(mostRunning).toBe(1);
    expect(mostWaiting).toBe(2);
    expect(pw.passwordHashQueue()).toEqual({ running: 0, waiting: 0 });
    const hashes = await all;
    expect(new Set(hashes).size).toBe(3);
  });
});
