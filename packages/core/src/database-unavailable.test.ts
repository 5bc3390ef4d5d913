import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './database-unavailable.ts';

/** The shapes an outage takes, as seen from Prisma 7 over @prisma/adapter-pg and node-postgres. */
describe('isDatabaseUnavailable', () => {
  it('recognises an outage in each of its shapes', () => {
    const prismaUnreachable = Object.assign(new Error("Can't reach database server"), {
      code: 'P1001',
      meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
    });
    const adapterOnly = Object.assign(new Error('x'), {
      code: 'P2010',
      meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } },
    });
    const shutdown = Object.assign(new Error('x'), {
      meta: { driverAdapterError: { cause: { originalCode: '57P01' } } },
    });
    const nested = new Error('query failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    });
    for (const err of [
      prismaUnreachable,
      adapterOnly,
      shutdown,
      nested,
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('x'), { code: '08006' }),
      Object.assign(new Error('x'), { code: 'P2024' }),
    ]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(true);
    }
  });

  it('leaves query errors and everything else alone (they stay 500s, or 4xx where mapped)', () => {
    const unique = Object.assign(new Error('Unique constraint failed'), {
      code: 'P2002',
      meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation', originalCode: '23505' } } },
    });
    const badText = Object.assign(new Error('x'), {
      meta: { driverAdapterError: { cause: { originalCode: '22021' } } },
    });
    for (const err of [
      unique,
      badText,
      new Error('boom'),
      new TypeError('x is undefined'),
      null,
      'text',
      42,
    ]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(false);
    }
  });
});
