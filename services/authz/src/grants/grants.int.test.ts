import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createPrisma, PostgresRevocationStore, type PrismaClient } from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { listGrants, withdrawGrant } from './grants.ts';

describe('grants', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let revocation: PostgresRevocationStore;
  const logger = pino({ level: 'silent' });
  const config = { accessTokenTtl: 900 } as never;
  const resource = 'http://127.0.0.1:1/mcp';

  beforeAll(async () => {
    db = await startPostgres();
    prisma = createPrisma(db.url);
    revocation = new PostgresRevocationStore(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.stop();
  });

  async function seed() {
    const user = await prisma.user.create({
      data: { username: `u${randomUUID().slice(0, 8)}`, passwordHash: 'x' },
    });
    const client = await prisma.oAuthClient.create({
      data: {
        id: randomUUID(),
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['http://127.0.0.1/cb'],
        grantTypes: ['authorization_code', 'refresh_token'],
        responseTypes: ['code'],
        clientName: 'Editor',
        metadata: {},
      },
    });
    await prisma.consent.create({
      data: {
        userId: user.id,
        clientId: client.id,
        resource,
        scopes: ['mcp:tools'],
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    const familyId = randomUUID();
    await prisma.refreshToken.create({
      data: {
        tokenHash: randomUUID(),
        familyId,
        clientId: client.id,
        userId: user.id,
        scopes: ['mcp:tools'],
        resource,
        expiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    return { user, client, familyId };
  }

  it('lists a grant with its client, scopes and use, by user and by client', async () => {
    const { user, client } = await seed();
    const byUser = await listGrants(prisma, { userId: user.id });
    expect(byUser).toHaveLength(1);
    expect(byUser[0]).toMatchObject({
      clientId: client.id,
      clientName: 'Editor',
      username: user.username,
      resource,
      scopes: ['mcp:tools'],
      activeFamilies: 1,
    });
    expect(byUser[0]!.lastUsedAt).toBeInstanceOf(Date);
    expect(await listGrants(prisma, { clientId: client.id })).toHaveLength(1);
  });

  it('withdraws the consent, the refresh tokens and the family, and is idempotent', async () => {
    const { user, client, familyId } = await seed();
    const key = { userId: user.id, clientId: client.id, resource };
    expect(await withdrawGrant({ prisma, revocation, logger, config }, key)).toEqual({
      consent: true,
      families: 1,
      codes: 0,
    });
    expect(await prisma.consent.count({ where: key })).toBe(0);
    expect(await prisma.refreshToken.count({ where: { familyId, revokedAt: null } })).toBe(0);
    expect(await prisma.revocation.count({ where: { kind: 'sid', value: familyId } })).toBe(1);
    expect(await listGrants(prisma, { userId: user.id })).toEqual([]);
    expect((await withdrawGrant({ prisma, revocation, logger, config }, key)).consent).toBe(false);
  });
});
