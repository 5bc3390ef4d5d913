import { randomUUID } from 'node:crypto';
import { isLoopbackHost, Prisma, type Consent, type OAuthClient, type PrismaClient } from '@mcp-auth/core';

export interface ConsentKey {
  userId: string;
  clientId: string;
  resource: string;
}

/** The remembered consent's row, as `rememberedConsentSql` reads it. */
export type RememberedConsent = Pick<Consent, 'scopes' | 'expiresAt'>;

/**
 * Reads the remembered consent for `key` (at most one row). A fragment, so that a caller can read
 * it in the statement that does its other work (the login: one round trip, see finish-sign-in).
 */
export const rememberedConsentSql = (key: ConsentKey) => Prisma.sql`
  SELECT "scopes", "expiresAt" FROM "consents"
  WHERE "userId" = ${key.userId}::uuid AND "clientId" = ${key.clientId} AND "resource" = ${key.resource}`;

/** Whether a remembered consent allows every one of these scopes and has not outlived its lifetime. */
export const covers = (
  consent: RememberedConsent | null | undefined,
  scopes: readonly string[],
  now = new Date(),
): boolean => !!consent && consent.expiresAt > now && scopes.every((s) => consent.scopes.includes(s));

/**
 * Whether the user already allowed this client every one of these scopes at this resource, and
 * that consent has not outlived CONSENT_LIFETIME (then the person is asked again). Raw: read at
 * every authorization, where the model API's query layer costs more than the statement.
 */
export async function consentCovers(
  prisma: PrismaClient,
  key: ConsentKey,
  scopes: readonly string[],
  now = new Date(),
): Promise<boolean> {
  const [consent] = await prisma.$queryRaw<RememberedConsent[]>(rememberedConsentSql(key));
  return covers(consent, scopes, now);
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

/** What decides whether an authorization must show the consent page. */
export interface ConsentQuestion {
  client: Pick<OAuthClient, 'tokenEndpointAuthMethod'>;
  redirectUri: string;
  scopes: readonly string[];
  forceConsent: boolean;
}

/** Asked whatever is remembered: prompt=consent, or a client that cannot rely on it (above). */
const alwaysAsked = (request: ConsentQuestion) =>
  request.forceConsent || alwaysAsksConsent(request.client, request.redirectUri);

/** Whether this authorization must show the consent page (or, with prompt=none, fail). */
export async function consentNeeded(
  prisma: PrismaClient,
  request: ConsentQuestion,
  key: ConsentKey,
): Promise<boolean> {
  if (alwaysAsked(request)) return true;
  return !(await consentCovers(prisma, key, request.scopes));
}

/** The same decision, given the remembered consent the caller read (`rememberedConsentSql`). */
export const consentNeededGiven = (
  request: ConsentQuestion,
  consent: RememberedConsent | null | undefined,
  now = new Date(),
): boolean => alwaysAsked(request) || !covers(consent, request.scopes, now);

/** An approval to remember: see rememberConsentSql. */
export interface ConsentToRemember {
  key: ConsentKey;
  scopes: readonly string[];
  lifetimeSeconds: number;
}

/**
 * Remembers an approval for `lifetimeSeconds` (CONSENT_LIFETIME) from now. Scopes allowed before
 * stay allowed (a step-up adds to them), unless that consent had already expired: what the person
 * has not confirmed within the lifetime is not carried over. One statement, where reading the
 * consent and then upserting it took two round trips. The union keeps the order: scopes still
 * allowed first, then the new ones (WITH ORDINALITY).
 *
 * `onlyWith`: the name of a CTE of the caller's statement; the consent is remembered only if it has
 * a row (the code for this approval was issued, see issue-code).
 */
export function rememberConsentSql(
  approval: ConsentToRemember,
  now: Date,
  onlyWith?: 'consumed',
): Prisma.Sql {
  const { key, scopes, lifetimeSeconds } = approval;
  const expiresAt = new Date(now.getTime() + lifetimeSeconds * 1000);
  return Prisma.sql`
    INSERT INTO "consents" ("id", "userId", "clientId", "resource", "scopes", "updatedAt", "expiresAt")
    SELECT ${randomUUID()}::uuid, ${key.userId}::uuid, ${key.clientId}, ${key.resource},
      ${[...new Set(scopes)]}::text[], ${now}::timestamptz(3), ${expiresAt}::timestamptz(3)
    ${onlyWith ? Prisma.raw(`FROM "${onlyWith}"`) : Prisma.empty}
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
