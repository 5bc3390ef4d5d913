import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { addClient } from '../../../../test/support/oauth-flow.ts';
import { consentCovers, rememberConsentSql } from './remembered-consent.ts';

const rememberConsent = (
  prisma: PrismaClient,
  key: { userId: string; clientId: string; resource: string },
  scopes: string[],
  lifetimeSeconds: number,
  now: Date,
) => prisma.$executeRaw(rememberConsentSql({ key, scopes, lifetimeSeconds }, now));

// CONSENT_LIFETIME as the authorization flow meets it: a remembered consent counts until it
// expires, an approval renews it, and what had expired is not carried into a new approval.
let db: TestDatabase;
let prisma: PrismaClient;
let key: { userId: string; clientId: string; resource: string };
const DAY = 24 * 3600;
const at = (days: number) => new Date(Date.UTC(2027, 0, 1) + days * DAY * 1000);

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 2 });
  await addClient(prisma, { clientId: 'lifetime-app' });
  const user = await prisma.user.create({ data: { username: 'dora', passwordHash: 'unused' } });
  key = { userId: user.id, clientId: 'lifetime-app', resource: 'http://r.test/mcp' };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

describe('remembered consent lifetime', () => {
  it('covers its scopes until it expires, then asks again', async () => {
    await rememberConsent(prisma, key, ['a'], 30 * DAY, at(0));
    expect(await consentCovers(prisma, key, ['a'], at(29))).toBe(true);
    expect(await consentCovers(prisma, key, ['a', 'b'], at(29))).toBe(false);
    expect(await consentCovers(prisma, key, ['a'], at(30))).toBe(false);
    expect(await consentCovers(prisma, key, ['a'], at(31))).toBe(false);
  });

  it('an approval renews it; a step-up keeps live scopes but not expired ones', async () => {
    await rememberConsent(prisma, key, ['a'], 30 * DAY, at(0));
    await rememberConsent(prisma, key, ['b'], 30 * DAY, at(20));
    expect(await consentCovers(prisma, key, ['a', 'b'], at(45))).toBe(true);
    // Expired at day 50: approving only `c` at day 60 must not bring `a` and `b` back.
    await rememberConsent(prisma, key, ['c'], 30 * DAY, at(60));
    expect(await consentCovers(prisma, key, ['c'], at(61))).toBe(true);
    expect(await consentCovers(prisma, key, ['a'], at(61))).toBe(false);
    const row = await prisma.consent.findUniqueOrThrow({ where: { userId_clientId_resource: key } });
    expect(row).toMatchObject({ scopes: ['c'], expiresAt: at(90) });
  });

  it('keeps the scopes in the order they were first allowed, each once', async () => {
    await rememberConsent(prisma, key, ['b', 'a'], 30 * DAY, at(100));
    await rememberConsent(prisma, key, ['c', 'a', 'c'], 30 * DAY, at(101));
    const row = await prisma.consent.findUniqueOrThrow({ where: { userId_clientId_resource: key } });
    expect(row).toMatchObject({ scopes: ['b', 'a', 'c'], expiresAt: at(131), updatedAt: at(101) });
  });
});
