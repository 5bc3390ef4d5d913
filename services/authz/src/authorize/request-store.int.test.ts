import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { addClient, REDIRECT_URI } from '../../../../test/support/oauth-flow.ts';
import { bindRequestSql, RequestStore, type NewAuthorizationRequest } from './request-store.ts';

// The raw statements return what Prisma returns for the same row, and the process's copy never
// decides what the row decides: another replica (a second store on the same database) sees the
// login, and an expired or removed request cannot be bound.
let db: TestDatabase;
let prisma: PrismaClient;
let userId: string;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  await addClient(prisma, { clientId: 'store-app' });
  userId = (await prisma.user.create({ data: { username: 'rita', passwordHash: 'unused' } })).id;
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

const newRequest = (over: Partial<NewAuthorizationRequest> = {}): NewAuthorizationRequest => ({
  id: randomUUID(),
  clientId: 'store-app',
  redirectUri: REDIRECT_URI,
  scopes: ['mcp:tools', 'mcp:identity'],
  state: 'st',
  codeChallenge: 'c'.repeat(43),
  codeChallengeMethod: 'S256',
  resource: 'https://issuer.test/mcp',
  bindingHash: 'h',
  csrfToken: 't',
  userId: null,
  authTime: null,
  forceConsent: true,
  expiresAt: new Date(Date.now() + 600_000),
  ...over,
});

const bind = (id: string, at = new Date()) =>
  prisma.$queryRaw<
    { bound: number }[]
  >`WITH ${bindRequestSql(id, userId, at)} SELECT count(*)::int AS "bound" FROM bound`;

describe('RequestStore', () => {
  it('stores and reads every column as Prisma does, from the database as from its copy', async () => {
    const authTime = new Date(Date.UTC(2026, 11, 5, 1, 2, 3, 456));
    const request = newRequest({ userId, authTime, state: null });
    const replica = new RequestStore(prisma);
    await replica.store(request);
    const viaPrisma = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id: request.id } });
    const other = new RequestStore(prisma);
    expect(await other.read(request.id)).toEqual({ ...viaPrisma, username: 'rita' });
    // The second read is the copy, and the same.
    expect(await other.read(request.id)).toEqual({ ...viaPrisma, username: 'rita' });
    const fresh = newRequest();
    await replica.store(fresh);
    const freshViaPrisma = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id: fresh.id } });
    expect(await replica.read(fresh.id)).toEqual({ ...freshViaPrisma, username: null });
  });

  it('a disabled user reads as no username (the flow then ends)', async () => {
    const disabled = await prisma.user.create({
      data: { username: `d-${randomUUID()}`, passwordHash: 'unused', disabledAt: new Date() },
    });
    const request = newRequest({ userId: disabled.id, authTime: new Date() });
    await new RequestStore(prisma).store(request);
    expect((await new RequestStore(prisma).read(request.id))?.username).toBeNull();
  });

  it('a copy without a user is read again when the step needs one (the login was on another replica)', async () => {
    const here = new RequestStore(prisma);
    const request = newRequest();
    await here.store(request);
    expect((await bind(request.id))[0]!.bound).toBe(1);
    expect((await here.read(request.id))?.userId).toBeNull();
    expect(await here.read(request.id, { signedIn: true })).toMatchObject({ userId, username: 'rita' });
  });

  it('an expired or removed request cannot be bound, whatever a copy says', async () => {
    const here = new RequestStore(prisma);
    const expired = newRequest();
    await here.store(expired);
    await prisma.authorizationRequest.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await bind(expired.id))[0]!.bound).toBe(0);
    const removed = newRequest();
    await here.store(removed);
    await prisma.authorizationRequest.delete({ where: { id: removed.id } });
    expect((await bind(removed.id))[0]!.bound).toBe(0);
    // Reading it again (signedIn) finds it gone and drops the copy.
    expect(await here.read(removed.id, { signedIn: true })).toBeUndefined();
    expect(await here.read(removed.id)).toBeUndefined();
  });

  it('a request cannot be bound to a disabled user', async () => {
    const here = new RequestStore(prisma);
    const request = newRequest();
    await here.store(request);
    await prisma.user.update({ where: { id: userId }, data: { disabledAt: new Date() } });
    try {
      expect((await bind(request.id))[0]!.bound).toBe(0);
    } finally {
      await prisma.user.update({ where: { id: userId }, data: { disabledAt: null } });
    }
    expect((await bind(request.id))[0]!.bound).toBe(1);
  });

  it('after forget, the row is read again', async () => {
    const here = new RequestStore(prisma);
    const request = newRequest();
    await here.store(request);
    await prisma.authorizationRequest.update({ where: { id: request.id }, data: { scopes: ['changed'] } });
    expect((await here.read(request.id))?.scopes).toEqual(['mcp:tools', 'mcp:identity']);
    here.forget(request.id);
    expect((await here.read(request.id))?.scopes).toEqual(['changed']);
  });
});
