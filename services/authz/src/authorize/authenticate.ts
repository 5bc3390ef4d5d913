import { dummyPasswordHash, verifyPassword, type PrismaClient, type User } from '@mcp-auth/core';

/**
 * The user with these credentials, or null. An unknown username, or a user without a password
 * (one who signs in through the upstream identity provider), still costs one scrypt (against a
 * dummy hash), so the answer time does not tell which usernames exist or how they sign in. A
 * disabled user is refused like a wrong password (after the same scrypt), so the page does not
 * tell who was disabled; `reason` says why, for the audit log only.
 */
export async function authenticate(
  prisma: PrismaClient,
  username: string | undefined,
  password: string | undefined,
): Promise<
  { user: User } | { user?: undefined; userId?: string; reason: 'unknown_user' | 'bad_password' | 'disabled' }
> {
  const user = username ? await prisma.user.findUnique({ where: { username } }) : null;
  const ok = await verifyPassword(password ?? '', user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user) return { reason: 'unknown_user' };
  // No password: this user signs in only through the upstream provider.
  if (!ok || !user.passwordHash) return { reason: 'bad_password', userId: user.id };
  if (user.disabledAt) return { reason: 'disabled', userId: user.id };
  return { user };
}
