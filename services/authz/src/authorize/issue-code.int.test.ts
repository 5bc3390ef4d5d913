import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createPrisma, sha256, type PrismaClient } from '@mcp-auth/core';
import { testAuthzConfig } from '../../../../test/support/authz-config.ts';
import { startPostgres, type TestDatabase } from '../../../../test/support/infra.ts';
import { addClient, REDIRECT_URI } from '../../../../test/support/oauth-flow.ts';
import type { AuthzContext } from '../deps.ts';
import { issueCode } from './issue-code.ts';
import { RequestStore } from './request-store.ts';

// A stored authorization request becomes exactly one code: the statement that stores the code
// consumes the request, so two submits racing for it (a double click) cannot both get one.
let db: TestDatabase;
let prisma: PrismaClient;
let deps: Pick<AuthzContext, 'prisma' | 'config' | 'logger' | 'requests'>;
let userId: string;

beforeAll(async () => {
  db = await startPostgres();
  prisma = createPrisma(db.url, { max: 4 });
  await addClient(prisma, { clientId: 'code-app' });
  userId = (await prisma.user.create({ data: { username: 'cody', passwordHash: 'unused' } })).id;
  deps = {
    config: testAuthzConfig('https://issuer.test'),
    prisma,
    logger: createLogger('test', 'silent'),
    requests: new RequestStore(prisma),
  };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.stop();
});

async function storedRequest() {
  return prisma.authorizationRequest.create({
    data: {
      id: randomUUID(),
      clientId: 'code-app',
      redirectUri: REDIRECT_URI,
      scopes: ['mcp:tools', 'mcp:identity'],
      state: 's',
      codeChallenge: 'c'.repeat(43),
      codeChallengeMethod: 'S256',
      resource: 'https://issuer.test/mcp',
      bindingHash: 'b',
      csrfToken: 't',
      userId,
      expiresAt: new Date(Date.now() + 600_000),
    },
  });
}

const codeOf = (url: string) => new URL(url).searchParams.get('code')!;

describe('issueCode', () => {
  it('stores the request as the code, consumes the request, and answers at the redirect URI', async () => {
    const request = await storedRequest();
    const authTime = new Date(Date.UTC(2026, 11, 5, 12, 0, 0, 123));
    const now = new Date();
    const url = await issueCode(deps, request, { userId, authTime }, now);
    expect(url.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(new URL(url).searchParams.get('state')).toBe('s');
    const row = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(codeOf(url)) },
    });
    expect(row).toMatchObject({
      clientId: 'code-app',
      userId,
      redirectUri: REDIRECT_URI,
      scopes: ['mcp:tools', 'mcp:identity'],
      resource: 'https://issuer.test/mcp',
      codeChallenge: 'c'.repeat(43),
      authTime,
      expiresAt: new Date(now.getTime() + deps.config.authCodeTtl * 1000),
      usedAt: null,
    });
    expect(row.familyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await prisma.authorizationRequest.findUnique({ where: { id: request.id } })).toBeNull();
  });

  it('without a password typed (authTime null) too', async () => {
    const url = await issueCode(deps, await storedRequest(), { userId, authTime: null });
    const row = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(codeOf(url)) },
    });
    expect(row.authTime).toBeNull();
  });

  it('two submits racing for one request: one code, and the other is told the request is gone', async () => {
    const request = await storedRequest();
    const before = await prisma.authorizationCode.count();
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => issueCode(deps, request, { userId, authTime: null })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/expired or is unknown/);
    }
    expect(await prisma.authorizationCode.count()).toBe(before + 1);
  });

  it('a request bound to another user since the caller read it (a login elsewhere) gives no code', async () => {
    const request = await storedRequest();
    const other = await prisma.user.create({
      data: { username: `other-${randomUUID()}`, passwordHash: 'unused' },
    });
    await prisma.authorizationRequest.update({ where: { id: request.id }, data: { userId: other.id } });
    const before = await prisma.authorizationCode.count();
    await expect(issueCode(deps, request, { userId, authTime: null })).rejects.toThrow(
      /expired or is unknown/,
    );
    expect(await prisma.authorizationCode.count()).toBe(before);
    // Still there, for the person who signed in last to finish.
    expect(await prisma.authorizationRequest.count({ where: { id: request.id } })).toBe(1);
  });

  it('an expired request, or one whose user was disabled since, gives no code and remembers no consent', async () => {
    const remember = {
      key: { userId, clientId: 'code-app', resource: 'https://issuer.test/mcp' },
      scopes: ['mcp:tools'],
      lifetimeSeconds: 3600,
    };
    await prisma.consent.deleteMany({ where: { userId } });
    const expired = await storedRequest();
    await prisma.authorizationRequest.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const before = await prisma.authorizationCode.count();
    await expect(issueCode(deps, expired, { userId, authTime: null }, new Date(), remember)).rejects.toThrow(
      /expired or is unknown/,
    );

    const request = await storedRequest();
    await prisma.user.update({ where: { id: userId }, data: { disabledAt: new Date() } });
    try {
      await expect(
        issueCode(deps, request, { userId, authTime: null }, new Date(), remember),
      ).rejects.toThrow(/expired or is unknown/);
    } finally {
      await prisma.user.update({ where: { id: userId }, data: { disabledAt: null } });
    }
    expect(await prisma.authorizationCode.count()).toBe(before);
    expect(await prisma.consent.count({ where: { userId } })).toBe(0);
    // The same request, its user enabled again, gives its code and remembers the consent.
    await issueCode(deps, request, { userId, authTime: null }, new Date(), remember);
    expect(await prisma.consent.findMany({ where: { userId } })).toMatchObject([{ scopes: ['mcp:tools'] }]);
  });

  it('a request answered at once (no stored row) gets its code too', async () => {
    const { id: _id, ...request } = await storedRequest();
    const url = await issueCode(deps, request, { userId, authTime: null });
    expect(await prisma.authorizationCode.count({ where: { codeHash: sha256(codeOf(url)) } })).toBe(1);
  });
});
