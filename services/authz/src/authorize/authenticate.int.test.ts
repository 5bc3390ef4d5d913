import { createLogger, createPrisma, hashPassword, verifyPassword, type PrismaClient } from '@mcp-auth/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { authenticate } from './authenticate.ts';

// The operator's current cost in this file: 2^15. Stored hashes at 2^16 stand for an older setting.
vi.stubEnv('PASSWORD_HASH_COST', '15');
const OLD = { N: 2 ** 16, r: 8, p: 1 };

let db: TestDatabase;
let prisma: PrismaClient;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
  vi.unstubAllEnvs();
});

const storedHash = async (username: string) =>
  (await prisma.user.findUniqueOrThrow({ where: { username } })).passwordHash;

describe('login with a hash made at an older cost', { timeout: 60_000 }, () => {
  it('logs in and rewrites the hash with the current parameters', async () => {
    const old = await hashPassword('old cost password', OLD);
    await prisma.user.create({ data: { username: 'olive', passwordHash: old } });

    const { user } = await authenticate(prisma, logger, 'olive', 'old cost password');

    expect(user?.username).toBe('olive');
    const now = await storedHash('olive');
    expect(now).not.toBe(old);
    expect(now).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(user?.passwordHash).toBe(now);
    expect(await verifyPassword('old cost password', now!)).toBe(true);
    expect(await verifyPassword('another password', now!)).toBe(false);
  });

  it('leaves the hash alone after a wrong password', async () => {
    const old = await hashPassword('right password', OLD);
    await prisma.user.create({ data: { username: 'wanda', passwordHash: old } });

    expect((await authenticate(prisma, logger, 'wanda', 'wrong password')).user).toBeUndefined();
    expect(await storedHash('wanda')).toBe(old);
  });

  it('does not rewrite a hash already at the current parameters', async () => {
    const current = await hashPassword('current password');
    await prisma.user.create({ data: { username: 'carl', passwordHash: current } });

    expect((await authenticate(prisma, logger, 'carl', 'current password')).user?.username).toBe('carl');
    expect(await storedHash('carl')).toBe(current);
  });

  it('refuses an unknown user', async () => {
    expect((await authenticate(prisma, logger, 'nobody', 'any password')).user).toBeUndefined();
  });
});
