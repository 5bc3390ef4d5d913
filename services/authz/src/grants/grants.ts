import type { PrismaClient } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import type { AuthzDeps } from '../deps.ts';
import { revokeGrant } from '../revocation/record.ts';

/**
 * What a person has given a client at one resource: the remembered consent and every grant
 * family (refresh tokens, codes) started under it. The one place that lists and withdraws grants,
 * used by the "connected apps" page (for the signed-in person) and the admin CLI/API (for anyone).
 */
export interface Grant {
  userId: string;
  username: string;
  clientId: string;
  clientName: string | null;
  resource: string;
  scopes: string[];
  /** When consent was first given (or, without a remembered consent, the first token issued). */
  grantedAt: Date;
  /** When a token was last issued under it (a code redeemed or a refresh token rotated). */
  lastUsedAt: Date | null;
  /** Grant families (the access tokens' `sid`) that still hold a live refresh token. */
  activeFamilies: number;
}

export interface GrantKey {
  userId: string;
  clientId: string;
  resource: string;
}

export interface GrantFilter {
  userId?: string;
  clientId?: string;
}

const keyOf = (g: GrantKey) => JSON.stringify([g.userId, g.clientId, g.resource]);

/** Every grant matching the filter, newest use first. */
export async function listGrants(
  prisma: PrismaClient,
  filter: GrantFilter,
  now = new Date(),
): Promise<Grant[]> {
  const [consents, tokens] = await Promise.all([
    prisma.consent.findMany({
      // A consent past CONSENT_LIFETIME no longer lets the client in without asking.
      where: { ...filter, expiresAt: { gt: now } },
      include: { user: { select: { username: true } }, client: { select: { clientName: true } } },
    }),
    prisma.refreshToken.groupBy({
      by: ['userId', 'clientId', 'resource'],
      where: filter,
      _min: { createdAt: true },
      _max: { createdAt: true },
    }),
  ]);
  const live = await prisma.refreshToken.groupBy({
    by: ['userId', 'clientId', 'resource', 'familyId'],
    where: { ...filter, revokedAt: null, rotatedAt: null, expiresAt: { gt: now } },
  });
  const usage = new Map(tokens.map((t) => [keyOf(t), t]));
  const activeFamilies = new Map<string, number>();
  for (const f of live) activeFamilies.set(keyOf(f), (activeFamilies.get(keyOf(f)) ?? 0) + 1);

  const grants = new Map<string, Grant>();
  for (const c of consents) {
    const used = usage.get(keyOf(c));
    grants.set(keyOf(c), {
      userId: c.userId,
      username: c.user.username,
      clientId: c.clientId,
      clientName: c.client.clientName,
      resource: c.resource,
      scopes: c.scopes,
      grantedAt: c.createdAt,
      lastUsedAt: used?._max.createdAt ?? null,
      activeFamilies: activeFamilies.get(keyOf(c)) ?? 0,
    });
  }
  // Tokens without a remembered consent (it was withdrawn or never stored): still a grant while a
  // family is live, so that it can be seen and withdrawn.
  const orphans = live.filter((f) => !grants.has(keyOf(f)));
  if (orphans.length > 0) {
    const detail = await prisma.refreshToken.findMany({
      where: { familyId: { in: orphans.map((o) => o.familyId) }, revokedAt: null, rotatedAt: null },
      include: { user: { select: { username: true } }, client: { select: { clientName: true } } },
    });
    for (const t of detail) {
      const existing = grants.get(keyOf(t));
      if (existing) continue;
      const used = usage.get(keyOf(t));
      grants.set(keyOf(t), {
        userId: t.userId,
        username: t.user.username,
        clientId: t.clientId,
        clientName: t.client.clientName,
        resource: t.resource,
        scopes: t.scopes,
        grantedAt: used?._min.createdAt ?? t.createdAt,
        lastUsedAt: used?._max.createdAt ?? t.createdAt,
        activeFamilies: activeFamilies.get(keyOf(t)) ?? 0,
      });
    }
  }
  const at = (g: Grant) => (g.lastUsedAt ?? g.grantedAt).getTime();
  return [...grants.values()].sort((a, b) => at(b) - at(a));
}

export interface WithdrawResult {
  /** Whether a remembered consent was removed. */
  consent: boolean;
  /** Grant families whose tokens were revoked. */
  families: number;
  /** Authorization codes issued but not yet redeemed, removed. */
  codes: number;
}

/**
 * Withdraws a grant: the remembered consent first (so the next authorization asks again), then
 * unredeemed codes, then every family's refresh tokens and, through the revocation set, every
 * access token they were issued. Idempotent: withdrawing what is gone returns zeros.
 */
export async function withdrawGrant(
  deps: Pick<AuthzDeps, 'prisma' | 'revocation' | 'logger'> & { config: Pick<AuthzConfig, 'accessTokenTtl'> },
  key: GrantKey,
): Promise<WithdrawResult> {
  const { prisma } = deps;
  const consent = await prisma.consent.deleteMany({
    where: { userId: key.userId, clientId: key.clientId, resource: key.resource },
  });
  const [fromTokens, fromCodes] = await Promise.all([
    prisma.refreshToken.findMany({ where: key, select: { familyId: true }, distinct: ['familyId'] }),
    prisma.authorizationCode.findMany({ where: key, select: { familyId: true }, distinct: ['familyId'] }),
  ]);
  const codes = await prisma.authorizationCode.deleteMany({ where: { ...key, usedAt: null } });
  const families = [...new Set([...fromTokens, ...fromCodes].map((r) => r.familyId))];
  for (const familyId of families) await revokeGrant(deps, familyId);
  return { consent: consent.count > 0, families: families.length, codes: codes.count };
}
