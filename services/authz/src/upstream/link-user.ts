import { randomBytes } from 'node:crypto';
import { Prisma, type PrismaClient, type User } from '@mcp-auth/core';
import { USERNAME_PATTERN } from '../users.ts';
import type { Claims } from './admission.ts';

/** A username for a new user: the verified email (or preferred_username), unique, within the rules. */
function usernameFor(issuer: string, claims: Claims, taken: boolean): string {
  const verifiedEmail =
    claims.email_verified === true && typeof claims.email === 'string' ? claims.email : undefined;
  const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
  const base = (verifiedEmail ?? preferred ?? `${String(claims.sub)}@${new URL(issuer).hostname}`)
    .replace(/[^A-Za-z0-9._@-]/g, '-')
    .slice(0, 55);
  const name = taken ? `${base}-${randomBytes(4).toString('hex')}` : base;
  return USERNAME_PATTERN.test(name) ? name : `user-${randomBytes(8).toString('hex')}`;
}

/**
 * The user linked to this provider account (`iss` + `sub`), created at the first sign-in. Never
 * linked by email or username to an existing local user: whoever controls an address at the
 * provider would otherwise take over that user's grants. A clash of names gives the new user a
 * suffixed name instead.
 */
export async function linkedUser(prisma: PrismaClient, issuer: string, claims: Claims): Promise<User> {
  const subject = String(claims.sub);
  const email = typeof claims.email === 'string' ? claims.email : null;
  const key = { issuer_subject: { issuer, subject } };
  const existing = await prisma.userIdentity.findUnique({ where: key, include: { user: true } });
  if (existing) {
    await prisma.userIdentity.update({ where: key, data: { email, lastLoginAt: new Date() } });
    return existing.user;
  }
  for (const taken of [false, true, true]) {
    try {
      return await prisma.user.create({
        data: {
          username: usernameFor(issuer, claims, taken),
          passwordHash: null,
          identities: { create: { issuer, subject, email } },
        },
      });
    } catch (err) {
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      // Two first sign-ins of the same person at once: the other one created the link.
      const raced = await prisma.userIdentity.findUnique({ where: key, include: { user: true } });
      if (raced) return raced.user;
    }
  }
  throw new Error('could not find a free username for a new upstream user');
}
