import { randomUUID } from 'node:crypto';
import { isLoopbackHost, type OAuthClient, type PrismaClient } from '@mcp-auth/core';

export interface ConsentKey {
  userId: string;
  clientId: string;
  resource: string;
}

/**
 * Whether the user already allowed this client every one of these scopes at this resource, and
 * that consent has not outlived CONSENT_LIFETIME (then the person is asked again).
 */
export async function consentCovers(
  prisma: PrismaClient,
  key: ConsentKey,
  scopes: readonly string[],
  now = new Date(),
): Promise<boolean> {
  const consent = await prisma.consent.findUnique({ where: { userId_clientId_resource: key } });
  return consent !== null && consent.expiresAt > now && scopes.every((s) => consent.scopes.includes(s));
}

/**
 * RFC 8252 §8.6: a public client whose answer goes to a private-use scheme or an https URL that an
 * app claims cannot be told apart from another app claiming the same one, so a remembered consent
 * would hand that impostor a code without the person seeing anything. Such clients are asked every
 * time. A loopback redirect reaches only a listener on the person's own machine, and a
 * confidential client proves itself at the token endpoint, so both may rely on the remembered one.
 */
export function alwaysAsksConsent(
  client: Pick<OAuthClient, 'tokenEndpointAuthMethod'>,
  redirectUri: string,
): boolean {
  return client.tokenEndpointAuthMethod === 'none' && !isLoopbackHost(new URL(redirectUri).hostname);
}

/** Whether this authorization must show the consent page (or, with prompt=none, fail). */
export async function consentNeeded(
  prisma: PrismaClient,
  request: {
    client: Pick<OAuthClient, 'tokenEndpointAuthMethod'>;
    redirectUri: string;
    scopes: readonly string[];
    forceConsent: boolean;
  },
  key: ConsentKey,
): Promise<boolean> {
  if (request.forceConsent || alwaysAsksConsent(request.client, request.redirectUri)) return true;
  return !(await consentCovers(prisma, key, request.scopes));
}

/**
 * Remembers an approval for `lifetimeSeconds` (CONSENT_LIFETIME) from now. Scopes allowed before
 * stay allowed (a step-up adds to them), unless that consent had already expired: what the person
 * has not confirmed within the lifetime is not carried over.
 */
export async function rememberConsent(
  prisma: PrismaClient,
  key: ConsentKey,
  scopes: readonly string[],
  lifetimeSeconds: number,
  now = new Date(),
): Promise<void> {
  const expiresAt = new Date(now.getTime() + lifetimeSeconds * 1000);
  // One statement, where reading the consent and then upserting it took two round trips. The union
  // keeps the order: scopes still allowed first, then the new ones (WITH ORDINALITY).
  await prisma.$executeRaw`
    INSERT INTO "consents" ("id", "userId", "clientId", "resource", "scopes", "updatedAt", "expiresAt")
    VALUES (${randomUUID()}::uuid, ${key.userId}::uuid, ${key.clientId}, ${key.resource},
      ${[...new Set(scopes)]}::text[], ${now}::timestamptz(3), ${expiresAt}::timestamptz(3))
    ON CONFLICT ("userId", "clientId", "resource") DO UPDATE SET
      "scopes" = ARRAY(
        SELECT scope FROM unnest(
          CASE WHEN "consents"."expiresAt" > ${now}::timestamptz(3) THEN "consents"."scopes" ELSE '{}' END
            || EXCLUDED."scopes"
        ) WITH ORDINALITY AS given(scope, position)
        GROUP BY scope ORDER BY min(position)),
      "updatedAt" = EXCLUDED."updatedAt",
      "expiresAt" = EXCLUDED."expiresAt"`;
}
