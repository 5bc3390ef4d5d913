import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.ts';

describe('login throttle', () => {
  const make = () => {
    let clock = 1_000_000;
    const throttle = new LoginThrottle({ windowMs: 60_000, perUser: 3, perAddress: 5, now: () => clock });
    return { throttle, advance: (ms: number) => (clock += ms) };
  };

  it('blocks a username from an address after the allowed failures, until the window passes', () => {
    const { throttle, advance } = make();
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfter('1.2.3.4', 'alice')).toBe(0);
      throttle.recordFailure('1.2.3.4', 'alice');
      advance(1000);
    }
    expect(throttle.retryAfter('1.2.3.4', 'alice')).toBe(57);
    expect(throttle.retryAfter('1.2.3.4', 'ALICE')).toBe(57);
    // Another address is not blocked for the same person: no lock-out of the victim.
    expect(throttle.retryAfter('5.6.7.8', 'alice')).toBe(0);
    advance(57_000);
    expect(throttle.retryAfter('1.2.3.4', 'alice')).toBe(0);
  });

  it('blocks an address that tries many usernames', () => {
    const { throttle } = make();
    for (const name of ['a', 'b', 'c', 'd', 'e']) throttle.recordFailure('1.2.3.4', name);
    expect(throttle.retryAfter('1.2.3.4', 'f')).toBeGreaterThan(0);
    expect(throttle.retryAfter('9.9.9.9', 'f')).toBe(0);
  });

  it('forgets a username’s failures after a successful login, and the attempt that succeeded', () => {
    const { throttle } = make();
    for (let i = 0; i < 3; i++) throttle.recordFailure('1.2.3.4', 'alice');
    throttle.recordSuccess('1.2.3.4', 'alice');
    expect(throttle.retryAfter('1.2.3.4', 'alice')).toBe(0);
    // Address: 3 failures, of which the last was the successful attempt → 2 remain; 3 more block.
    for (const name of ['b', 'c']) throttle.recordFailure('1.2.3.4', name);
    expect(throttle.retryAfter('1.2.3.4', 'z')).toBe(0);
    throttle.recordFailure('1.2.3.4', 'd');
    expect(throttle.retryAfter('1.2.3.4', 'z')).toBeGreaterThan(0);
  });

  it('keeps memory bounded', () => {
    const throttle = new LoginThrottle({ maxEntries: 10 });
    for (let i = 0; i < 1000; i++) throttle.recordFailure(`10.0.${i >> 8}.${i & 255}`, 'x');
    expect((throttle as unknown as { failures: Map<string, number[]> }).failures.size).toBeLessThanOrEqual(
      10,
    );
  });
});
