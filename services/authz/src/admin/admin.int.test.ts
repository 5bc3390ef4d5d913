import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuditLog,
  createLogger,
  createPrisma,
  hashPassword,
  OAuthError,
  PostgresRevocationStore,
  type AuditLog,
  type PrismaClient,
  type RevocationStore,
} from '@mcp-auth/core';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { authenticate } from '../authorize/authenticate.ts';
import { queryAudit } from './audit-query.ts';
import { deleteClient } from './clients.ts';
import type { AdminDeps } from './deps.ts';
import { listGrantsOf, revokeGrants } from './grants.ts';
import { deleteUser, disableUser, enableUser } from './users.ts';

/** The admin service layer on a real database: what each operation changes, and what it audits. */
describe('admin service layer', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let audit: AuditLog;
  let deps: AdminDeps;
  const who = { actor: 'admin:test', address: '127.0.0.1' };
  const resource = 'http://127.0.0.1:1/mcp';

  beforeAll(async () => {
    db = await startPostgres();
    prisma = createPrisma(db.url);
    const logger = createLogger('admin-test', 'silent');
    audit = createAuditLog({ prisma, logger });
    deps = {
      prisma,
      logger,
      audit,
      revocation: new PostgresRevocationStore(prisma),
      config: { accessTokenTtl: 900 },
    };
  });
  afterAll(async () => {
    await audit?.flush();
    await prisma?.$disconnect();
    await db?.stop();
  });

  const adminEvents = async (operation: string) => {
    await audit.flush();
    return prisma.auditEvent.findMany({
      where: { type: 'admin.action', detail: { path: ['operation'], equals: operation } },
      orderBy: { id: 'asc' },
    });
  };

  async function seed(password = 'a password long enough') {
    const user = await prisma.user.create({
      data: { username: `u${randomUUID().slice(0, 8)}`, passwordHash: await hashPassword(password) },
    });
    const client = await prisma.oAuthClient.create({
      data: {
        id: randomUUID(),
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['http://127.0.0.1/cb'],
        grantTypes: ['authorization_code', 'refresh_token'],
        responseTypes: ['code'],
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
    return { user, client, familyId, password };
  }

  it('disable: refuses the password, revokes the user and their grants; enable lets them in again', async () => {
    const { user, familyId, password } = await seed();
    const result = await disableUser(deps, who, user.username);
    expect(result.user.disabledAt).toBeInstanceOf(Date);
    expect(result.signedOut.grants).toBe(1);
    expect(await authenticate(prisma, deps.logger, user.username, password)).toEqual({
      reason: 'disabled',
      userId: user.id,
    });
    expect(await prisma.refreshToken.count({ where: { familyId, revokedAt: null } })).toBe(0);
    expect(await prisma.revocation.count({ where: { kind: 'user', value: user.id } })).toBe(1);

    await enableUser(deps, who, user.username);
    expect((await authenticate(prisma, deps.logger, user.username, password)).user?.id).toBe(user.id);

    const [disabled] = await adminEvents('users.disable');
    expect(disabled).toMatchObject({
      outcome: 'success',
      actor: 'admin:test',
      address: '127.0.0.1',
      userId: user.id,
    });
    expect(disabled!.detail).toMatchObject({ username: user.username, grants: 1 });
    const signedOut = await prisma.auditEvent.findMany({
      where: { type: 'user.signed_out', userId: user.id },
    });
    expect(signedOut.map((e) => e.detail)).toEqual([
      expect.objectContaining({ reason: 'disabled', grants: 1 }),
    ]);
  });

  it('delete user: revoked first (their access tokens stay refused), then gone with everything they held', async () => {
    const { user, client } = await seed();
    await deleteUser(deps, who, user.username);
    expect(await prisma.user.count({ where: { id: user.id } })).toBe(0);
    expect(await prisma.consent.count({ where: { clientId: client.id } })).toBe(0);
    expect(await prisma.revocation.count({ where: { kind: 'user', value: user.id } })).toBe(1);
  });

  it('an operation that fails is audited as a failure with its error, and rethrown', async () => {
    await expect(disableUser(deps, who, 'nobody-here')).rejects.toMatchObject({
      error: 'not_found',
      status: 404,
    });
    const events = await adminEvents('users.disable');
    expect(events.at(-1)).toMatchObject({
      outcome: 'failure',
      detail: { operation: 'users.disable', username: 'nobody-here', error: 'not_found' },
    });
  });

  it('delete client: revokes it before the row goes; with the revocation store down nothing is deleted (503)', async () => {
    const { client } = await seed();
    const down: RevocationStore = {
      revoke: () => Promise.reject(new Error('down')),
      isRevoked: () => Promise.reject(new Error('down')),
      ping: () => Promise.reject(new Error('down')),
    };
    const failing = deleteClient({ ...deps, revocation: down }, who, client.id);
    await expect(failing).rejects.toBeInstanceOf(OAuthError);
    await expect(failing).rejects.toMatchObject({ status: 503 });
    expect(await prisma.oAuthClient.count({ where: { id: client.id } })).toBe(1);

    await deleteClient(deps, who, client.id);
    expect(await prisma.oAuthClient.count({ where: { id: client.id } })).toBe(0);
    expect(await prisma.refreshToken.count({ where: { clientId: client.id } })).toBe(0);
    expect(await prisma.revocation.count({ where: { kind: 'client', value: client.id } })).toBe(1);
    await audit.flush();
    expect(await prisma.auditEvent.count({ where: { type: 'client.deleted', clientId: client.id } })).toBe(1);
  });

  it('grants: list and revoke by user and client, each withdrawal a consent.withdrawn event', async () => {
    const { user, client, familyId } = await seed();
    expect(await listGrantsOf(deps, who, { username: user.username })).toHaveLength(1);
    expect(await listGrantsOf(deps, who, { clientId: client.id, resource: 'http://elsewhere/mcp' })).toEqual(
      [],
    );
    expect(await revokeGrants(deps, who, { username: user.username, clientId: client.id })).toEqual({
      grants: 1,
      consents: 1,
      families: 1,
      codes: 0,
    });
    expect(await prisma.revocation.count({ where: { kind: 'sid', value: familyId } })).toBe(1);
    await audit.flush();
    expect(await prisma.auditEvent.count({ where: { type: 'consent.withdrawn', userId: user.id } })).toBe(1);
    await expect(listGrantsOf(deps, who, {})).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('audit query: filters by type, user (name or id), client, outcome, time; newest first; limited', async () => {
    const { user, client } = await seed();
    await prisma.auditEvent.createMany({
      data: [
        { type: 'login.failed', outcome: 'failure', userId: user.id, at: new Date('2026-01-01T00:00:00Z') },
        { type: 'login.succeeded', outcome: 'success', userId: user.id, clientId: client.id },
        { type: 'token.issued', outcome: 'success', userId: user.id, clientId: client.id },
      ],
    });
    const byName = await queryAudit(deps, who, { user: user.username });
    expect(byName.map((e) => e.type)).toEqual(['token.issued', 'login.succeeded', 'login.failed']);
    expect(await queryAudit(deps, who, { user: user.id, limit: 1 })).toHaveLength(1);
    expect(
      (await queryAudit(deps, who, { user: user.username, outcome: 'failure' })).map((e) => e.type),
    ).toEqual(['login.failed']);
    expect(await queryAudit(deps, who, { client: client.id, type: 'token.issued' })).toHaveLength(1);
    expect(await queryAudit(deps, who, { user: user.username, until: new Date('2026-06-01') })).toHaveLength(
      1,
    );
    expect(await queryAudit(deps, who, { user: user.username, since: new Date('2026-06-01') })).toHaveLength(
      2,
    );
    expect(typeof byName[0]!.id).toBe('string');
  });
});
