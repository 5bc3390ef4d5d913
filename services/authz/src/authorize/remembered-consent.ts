import { isLoopbackHost, type OAuthClient, type PrismaClient } from '@mcp-auth/core';

export interface ConsentKey {
  userId: string;
  clientId: string;
  resource: string;
}

/** Whether the user already allowed this client every one of these scopes at this resource. */
export async function consentCovers(
  prisma: PrismaClient,
  key: ConsentKey,
  scopes: readonly string[],
): Promise<boolean> {
  const consent = await prisma.consent.findUnique({ where: { userId_clientId_resource: key } });
  return consent !== null && scopes.every((s) => consent.scopes.includes(s));
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

/** Remembers an approval; scopes allowed before stay allowed (a step-up adds to them). */
export async function rememberConsent(
  prisma: PrismaClient,
  key: ConsentKey,
  scopes: readonly string[],
): Promise<void> {
  const existing = await prisma.consent.findUnique({ where: { userId_clientId_resource: key } });
  const union = [...new Set([...(existing?.scopes ?? []), ...scopes])];
  await prisma.consent.upsert({
    where: { userId_clientId_resource: key },
    create: { ...key, scopes: union },
    update: { scopes: union },
  });
}
