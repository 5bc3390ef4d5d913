import { createPrisma, verifyPassword, type PrismaClient } from '@mcp-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestDatabase } from '../../../test/support/infra.ts';
import { createUser, setPassword } from './users.ts';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

describe('users', () => {
  it('creates a user with a scrypt hash, never the password', async () => {
    const user = await createUser(prisma, 'dana', 'first password');
    expect(user.passwordHash).toMatch(/^scrypt\$/);
    expect(user.passwordHash).not.toContain('first password');
    expect(await verifyPassword('first password', user.passwordHash!)).toBe(true);
  });

  it('refuses a second user with the same name', async () => {
    await expect(createUser(prisma, 'dana', 'another password')).rejects.toThrow('user dana already exists');
  });

  it('refuses invalid input before touching the database', async () => {
    await expect(createUser(prisma, 'eve', 'short')).rejects.toThrow(/too short/);
    await expect(createUser(prisma, 'e v e', 'long enough')).rejects.toThrow(/username/);
    expect(await prisma.user.count({ where: { username: { in: ['eve', 'e v e'] } } })).toBe(0);
  });

  it('sets a new password', async () => {
    await setPassword(prisma, 'dana', 'second password');
    const user = await prisma.user.findUniqueOrThrow({ where: { username: 'dana' } });
    expect(await verifyPassword('second password', user.passwordHash!)).toBe(true);
    expect(await verifyPassword('first password', user.passwordHash!)).toBe(false);
  });

  it('says so when the user does not exist', async () => {
    await expect(setPassword(prisma, 'nobody', 'some password')).rejects.toThrow(
      'user nobody does not exist',
    );
  });
});
