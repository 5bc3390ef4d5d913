import { describe, expect, it } from 'vitest';
import { LoginThrottle, type Admission } from './login-throttle.ts';

/** The in-process throttle (all-in-one mode); the Redis-shared one is tested in authorize.int.test.ts. */
const make = () => new LoginThrottle(undefined, { perUser: 3, perAddress: 5, maxWaitMs: 10_000 });

async function fail(throttle: LoginThrottle, address: string, username: string): Promise<Admission> {
  const admission = await throttle.admit(address, username);
  await admission.attempt?.finish('failure');
  return admission;
}

/** Attempts at once, each ending with `outcome` after every one has asked to start. */
async function concurrently(throttle: LoginThrottle, n: number, outcome: 'success' | 'failure') {
  let release!: () => void;
  const started = new Promise<void>((resolve) => (release = resolve));
  const admissions = Array.from({ length: n }, async () => {
    const admission = await throttle.admit('1.2.3.4', 'alice');
    await started;
    await admission.attempt?.finish(outcome);
    return admission;
  });
  // Let every admission reach its first decision before any attempt ends.
  await new Promise((resolve) => setImmediate(resolve));
  release();
  return Promise.all(admissions);
}

describe('login throttle', () => {
  it('refuses a username from an address after its failures, with the seconds to wait', async () => {
    const throttle = make();
    for (let i = 0; i < 3; i++) expect((await fail(throttle, '1.2.3.4', 'alice')).attempt).toBeDefined();
    for (const name of ['alice', 'ALICE']) {
      const refused = await throttle.admit('1.2.3.4', name);
      expect(refused.retryAfter).toBeGreaterThan(800);
      expect(refused.retryAfter).toBeLessThanOrEqual(900);
    }
    // Another address is not the attacker's.
    expect((await throttle.admit('5.6.7.8', 'alice')).attempt).toBeDefined();
  });

  it('refuses an address after failures across usernames', async () => {
    const throttle = make();
    for (const name of ['a', 'b', 'c', 'd', 'e']) await fail(throttle, '1.2.3.4', name);
    expect((await throttle.admit('1.2.3.4', 'f')).retryAfter).toBeGreaterThan(0);
    expect((await throttle.admit('9.9.9.9', 'f')).attempt).toBeDefined();
  });

  it('does not count a success, and a success clears that username’s failures', async () => {
    const throttle = make();
    for (let i = 0; i < 2; i++) await fail(throttle, '1.2.3.4', 'alice');
    for (let i = 0; i < 5; i++) {
      const ok = await throttle.admit('1.2.3.4', 'alice');
      await ok.attempt!.finish('success');
    }
    for (let i = 0; i < 3; i++) expect((await fail(throttle, '1.2.3.4', 'alice')).attempt).toBeDefined();
    expect((await throttle.admit('1.2.3.4', 'alice')).retryAfter).toBeGreaterThan(0);
  });

  it('lets 10 simultaneous correct logins through: attempts in flight wait, they are not failures', async () => {
    const admissions = await concurrently(make(), 10, 'success');
    expect(admissions.filter((a) => a.attempt).length).toBe(10);
  });

  it('cuts 10 simultaneous wrong guesses at the limit', async () => {
    const throttle = make();
    const admissions = await concurrently(throttle, 10, 'failure');
    expect(admissions.filter((a) => a.attempt).length).toBe(3);
    expect(admissions.filter((a) => a.retryAfter! > 0).length).toBe(7);
  });

  it('frees the slot of an attempt that ended in an error, without counting a failure', async () => {
    const throttle = make();
    for (let i = 0; i < 3; i++) {
      const admission = await throttle.admit('1.2.3.4', 'alice');
      await admission.attempt!.finish('abandoned');
    }
    expect((await throttle.admit('1.2.3.4', 'alice')).attempt).toBeDefined();
  });
});
