import { sha256, type PrismaClient } from '@mcp-auth/core';
import type { ClientMetadata } from './metadata/schema.ts';

/**
 * How many never-used registrations identical to a new one (same address, same software_id or
 * client_name, same redirect URIs, same auth method) are kept; older ones beyond this are removed.
 * Several people behind one egress address may register the same app at the same moment, each
 * about to sign in: those registrations are kept anyway while their sign-in is pending.
 */
export const IDENTICAL_UNUSED_KEPT = 20;

/**
 * What makes two open registrations "the same client registering again". The address is part of
 * it, so nobody elsewhere can make another's registrations disappear by repeating them; only a
 * hash is stored. Redirect URIs are compared as a set.
 */
export function registrationKeyOf(
  metadata: Pick<
    ClientMetadata,
    'software_id' | 'client_name' | 'redirect_uris' | 'token_endpoint_auth_method'
  >,
  address: string,
): string {
  return sha256(
    JSON.stringify([
      address,
      metadata.software_id
        ? ['software_id', metadata.software_id]
        : ['client_name', metadata.client_name ?? null],
      [...metadata.redirect_uris].sort(),
      metadata.token_endpoint_auth_method,
    ]),
  );
}

/**
 * Bounds repeated identical registrations (a client that registers on every start, a script): keeps
 * the newest IDENTICAL_UNUSED_KEPT that were never used and removes older never-used ones. Never
 * used means no token issued, no consent, no refresh token and no sign-in in progress, so nothing
 * anyone holds is removed and there is nothing to revoke. Each registrant keeps its own client id
 * and registration access token: handing an existing client to whoever repeats its metadata would
 * give them the RFC 7592 right to change its redirect URIs. Returns how many were removed.
 */
export async function dropSurplusIdentical(prisma: PrismaClient, registrationKey: string): Promise<number> {
  const unused = {
    registrationKey,
    lastUsedAt: null,
    consents: { none: {} },
    refreshTokens: { none: {} },
    authorizationRequests: { none: {} },
    authorizationCodes: { none: {} },
  };
  const surplus = await prisma.oAuthClient.findMany({
    where: unused,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    skip: IDENTICAL_UNUSED_KEPT,
    select: { id: true },
  });
  if (surplus.length === 0) return 0;
  // The condition again: a client that started a sign-in meanwhile stays.
  const { count } = await prisma.oAuthClient.deleteMany({
    where: { id: { in: surplus.map((c) => c.id) }, ...unused },
  });
  return count;
}
