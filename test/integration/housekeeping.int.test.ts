import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createPrisma, randomToken, sha256, type PrismaClient } from '@mcp-auth/core';
import { runHousekeeping, startHousekeeping } from '../../services/authz/src/housekeeping.ts';
import { startPostgres, type TestDatabase } from '../support/infra.ts';
import { addClient, REDIRECT_URI } from '../support/oauth-flow.ts';

let db: TestDatabase;
let prisma: PrismaClient;
let userId: string;
const CLIENT = 'housekeeping-client';

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  await addClient(prisma, { clientId: CLIENT });
  userId = (await prisma.user.create({ data: { username: 'alice', passwordHash: 'unused' } })).id;
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

const at = (offsetMs: number) => new Date(Date.now() + offsetMs);

/** One row of each kind that expires at `expiresAt`; returns their keys. */
async function rows(expiresAt: Date) {
  const familyId = randomUUID();
  const codeHash = sha256(randomToken());
  const requestId = randomToken();
  const tokenHash = sha256(randomToken());
  const grant = { clientId: CLIENT, userId, scopes: ['mcp:tools'], resource: 'http://r.test/mcp' };
  await prisma.authorizationCode.create({
    data: { ...grant, codeHash, redirectUri: REDIRECT_URI, codeChallenge: 'x', familyId, expiresAt },
  });
  await prisma.authorizationRequest.create({
    data: {
      id: requestId,
      clientId: CLIENT,
      redirectUri: REDIRECT_URI,
      scopes: ['mcp:tools'],
      codeChallenge: 'x',
      codeChallengeMethod: 'S256',
      resource: grant.resource,
      bindingHash: 'x',
      csrfToken: 'x',
      expiresAt,
    },
  });
  await prisma.refreshToken.create({ data: { ...grant, tokenHash, familyId, expiresAt } });
  await prisma.revocation.create({ data: { kind: 'sid', value: familyId, expiresAt } });
  await prisma.clientAssertion.create({ data: { clientId: CLIENT, jti: familyId, expiresAt } });
  // One consent per row set: the resource keeps it apart from the others (one per user, client, resource).
  const consentResource = `http://r.test/${familyId}`;
  await prisma.consent.create({
    data: { clientId: CLIENT, userId, scopes: ['mcp:tools'], resource: consentResource, expiresAt },
  });
  const sessionHash = sha256(randomToken());
  await prisma.session.create({
    data: {
      idHash: sessionHash,
      userId,
      authTime: at(-60_000),
      lastSeenAt: at(-60_000),
      expiresAt,
      absoluteExpiresAt: new Date(expiresAt.getTime() + 3600_000),
    },
  });
  return { codeHash, requestId, tokenHash, familyId, sessionHash, consentResource };
}

async function exists(keys: Awaited<ReturnType<typeof rows>>) {
  return {
    code: (await prisma.authorizationCode.count({ where: { codeHash: keys.codeHash } })) === 1,
    request: (await prisma.authorizationRequest.count({ where: { id: keys.requestId } })) === 1,
    refresh: (await prisma.refreshToken.count({ where: { tokenHash: keys.tokenHash } })) === 1,
    revocation: (await prisma.revocation.count({ where: { value: keys.familyId } })) === 1,
    session: (await prisma.session.count({ where: { idHash: keys.sessionHash } })) === 1,
    assertion: (await prisma.clientAssertion.count({ where: { jti: keys.familyId } })) === 1,
    consent: (await prisma.consent.count({ where: { resource: keys.consentResource } })) === 1,
  };
}

describe('housekeeping', () => {
  it('deletes expired codes, requests, refresh tokens, revocation records, sessions, client assertion jtis and consents past their lifetime, and nothing live', async () => {
    const expired = await rows(at(-1000));
    const live = await rows(at(60_000));
    const result = await runHousekeeping(prisma);
    expect(result).toEqual({
      authorizationCodes: 1,
      authorizationRequests: 1,
      refreshTokens: 1,
      revocations: 1,
      sessions: 1,
      clientAssertions: 1,
      consents: 1,
      auditEvents: 0,
    });
    expect(await exists(expired)).toEqual({
      code: false,
      request: false,
      refresh: false,
      revocation: false,
      session: false,
      assertion: false,
      consent: false,
    });
    expect(await exists(live)).toEqual({
      code: true,
      request: true,
      refresh: true,
      revocation: true,
      session: true,
      assertion: true,
      consent: true,
    });
  });

  it('deletes audit events older than AUDIT_RETENTION, and keeps them all without it', async () => {
    const old = await prisma.auditEvent.create({
      data: { type: 'login.failed', outcome: 'failure', at: new Date(Date.now() - 10 * 86_400_000) },
    });
    const recent = await prisma.auditEvent.create({ data: { type: 'login.failed', outcome: 'failure' } });
    expect((await runHousekeeping(prisma))?.auditEvents).toBe(0);
    expect(await runHousekeeping(prisma, new Date(), { auditRetentionSeconds: 7 * 86_400 })).toMatchObject({
      auditEvents: 1,
    });
    const left = await prisma.auditEvent.findMany({ where: { id: { in: [old.id, recent.id] } } });
    expect(left.map((e) => e.id)).toEqual([recent.id]);
  });

  it('skips the round while another replica holds it', async () => {
    const expired = await rows(at(-1000));
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtext('mcp-auth:housekeeping'))`);
      expect(await runHousekeeping(prisma)).toBeUndefined();
      expect((await exists(expired)).code).toBe(true);
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    expect(await runHousekeeping(prisma)).toMatchObject({ authorizationCodes: 1 });
  });

  it('runs on a schedule from start, and stops', async () => {
    const expired = await rows(at(-1000));
    const job = startHousekeeping({ prisma, logger: createLogger('housekeeping-test', 'silent') }, 3600);
    try {
      await expect.poll(async () => (await exists(expired)).refresh, { timeout: 5000 }).toBe(false);
    } finally {
      await job.stop();
    }
  });
});
