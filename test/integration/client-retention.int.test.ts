import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuditLog,
  createLogger,
  createPrisma,
  PostgresRevocationStore,
  randomToken,
  sha256,
  type PrismaClient,
  type RevocationStore,
} from '@mcp-auth/core';
import { LAST_USED_RESOLUTION_MS, markClientUsed } from '../../services/authz/src/clients/last-used.ts';
import { removeUnusedClients } from '../../services/authz/src/clients/retention.ts';
import { startHousekeeping } from '../../services/authz/src/housekeeping.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { REDIRECT_URI } from '../support/oauth-flow.ts';

let db: TestDatabase;
let prisma: PrismaClient;
let revocation: PostgresRevocationStore;
let userId: string;

const DAY = 24 * 3600 * 1000;
const policy = { retentionSeconds: 30 * 24 * 3600, accessTokenTtl: 900 };
const logger = createLogger('retention-test', 'silent');

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  revocation = new PostgresRevocationStore(prisma);
  userId = (await prisma.user.create({ data: { username: 'alice', passwordHash: 'unused' } })).id;
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

const ago = (ms: number) => new Date(Date.now() - ms);

async function client(opts: { createdAt: Date; lastUsedAt?: Date | null }): Promise<string> {
  const id = randomToken(16);
  await prisma.oAuthClient.create({
    data: {
      id,
      tokenEndpointAuthMethod: 'none',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      metadata: {},
      createdAt: opts.createdAt,
      lastUsedAt: opts.lastUsedAt ?? null,
    },
  });
  return id;
}

async function refreshToken(clientId: string, expiresAt: Date, extra: { revokedAt?: Date } = {}) {
  await prisma.refreshToken.create({
    data: {
      tokenHash: sha256(randomToken()),
      familyId: randomUUID(),
      clientId,
      userId,
      scopes: ['mcp:tools'],
      resource: 'http://r.test/mcp',
      expiresAt,
      ...extra,
    },
  });
}

const exists = async (id: string) => (await prisma.oAuthClient.count({ where: { id } })) === 1;

describe('clients unused for CLIENT_RETENTION', () => {
  it('are removed with what they hold, and their tokens revoked; used and recent ones stay', async () => {
    const neverUsed = await client({ createdAt: ago(40 * DAY) });
    const usedLongAgo = await client({ createdAt: ago(90 * DAY), lastUsedAt: ago(31 * DAY) });
    const usedLately = await client({ createdAt: ago(90 * DAY), lastUsedAt: ago(2 * DAY) });
    const newcomer = await client({ createdAt: ago(DAY) });
    const holdsLiveGrant = await client({ createdAt: ago(90 * DAY), lastUsedAt: ago(40 * DAY) });
    await refreshToken(holdsLiveGrant, new Date(Date.now() + DAY));
    // Only a live, current refresh token keeps a client: an expired or revoked one does not.
    await refreshToken(usedLongAgo, ago(DAY));
    await refreshToken(usedLongAgo, new Date(Date.now() + DAY), { revokedAt: ago(DAY) });
    await prisma.consent.create({
      data: {
        userId,
        clientId: usedLongAgo,
        resource: 'http://r.test/mcp',
        scopes: ['mcp:tools'],
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });

    const before = Date.now();
    const audit = createAuditLog({ prisma, logger, flushIntervalMs: 60_000 });
    expect(await removeUnusedClients({ prisma, revocation, logger, audit }, policy)).toBe(2);
    await audit.flush();
    const deleted = await prisma.auditEvent.findMany({ where: { type: 'client.deleted' } });
    expect(deleted.map((e) => e.clientId).sort()).toEqual([neverUsed, usedLongAgo].sort());
    expect(deleted[0]).toMatchObject({ actor: 'system', outcome: 'success', detail: { reason: 'unused' } });

    for (const id of [neverUsed, usedLongAgo]) {
      expect(await exists(id)).toBe(false);
      // Whatever access token it might still hold is refused from now on (as RFC 7592 delete does).
      const token = {
        jti: randomUUID(),
        sid: randomUUID(),
        client_id: id,
        sub: userId,
        iat: Date.now() / 1000,
      };
      expect(await revocation.isRevoked(token)).toBe(true);
      const entry = await prisma.revocation.findUniqueOrThrow({
        where: { kind_value: { kind: 'client', value: id } },
      });
      expect(entry.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 900_000);
    }
    expect(await prisma.consent.count({ where: { clientId: usedLongAgo } })).toBe(0);
    expect(await prisma.refreshToken.count({ where: { clientId: usedLongAgo } })).toBe(0);
    for (const id of [usedLately, newcomer, holdsLiveGrant]) expect(await exists(id)).toBe(true);
  });

  it('are all kept when the retention is 0', async () => {
    const old = await client({ createdAt: ago(400 * DAY) });
    expect(
      await removeUnusedClients({ prisma, revocation, logger }, { ...policy, retentionSeconds: 0 }),
    ).toBe(0);
    expect(await exists(old)).toBe(true);
    await prisma.oAuthClient.delete({ where: { id: old } });
  });

  it('are not removed when their revocation cannot be recorded (fail closed, retried next round)', async () => {
    const old = await client({ createdAt: ago(40 * DAY) });
    const unavailable: RevocationStore = {
      revoke: () => Promise.reject(new Error('revocation store down')),
      isRevoked: () => Promise.reject(new Error('revocation store down')),
      ping: () => Promise.reject(new Error('revocation store down')),
    };
    await expect(removeUnusedClients({ prisma, revocation: unavailable, logger }, policy)).rejects.toThrow(
      /could not be deleted now/,
    );
    expect(await exists(old)).toBe(true);
    expect(await removeUnusedClients({ prisma, revocation, logger }, policy)).toBe(1);
  });
});

describe('the housekeeping schedule', () => {
  it('removes unused clients when given the retention policy', async () => {
    const old = await client({ createdAt: ago(40 * DAY) });
    const job = startHousekeeping({ prisma, logger }, 3600, { ...policy, revocation });
    try {
      await expect.poll(() => exists(old), { timeout: 10_000 }).toBe(false);
    } finally {
      await job.stop();
    }
  });
});

describe('the last-used time', () => {
  it('is set at the first token, then at most once per resolution period', async () => {
    const id = await client({ createdAt: ago(DAY) });
    const row = () => prisma.oAuthClient.findUniqueOrThrow({ where: { id } });

    const first = new Date();
    await markClientUsed({ prisma, logger }, await row(), first);
    expect((await row()).lastUsedAt).toEqual(first);

    // Within the hour nothing is written, even when the caller's row is stale.
    await markClientUsed({ prisma, logger }, { id, lastUsedAt: null }, new Date(first.getTime() + 60_000));
    expect((await row()).lastUsedAt).toEqual(first);

    const later = new Date(first.getTime() + LAST_USED_RESOLUTION_MS + 1000);
    await markClientUsed({ prisma, logger }, await row(), later);
    expect((await row()).lastUsedAt).toEqual(later);
  });
});
