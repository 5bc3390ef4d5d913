import type { PrismaClient } from '@mcp-auth/core';

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
