import { dummyPasswordHash, verifyPassword, type PrismaClient, type User } from '@mcp-auth/core';

/**
 * The user with these credentials, or null. An unknown username, or a user without a password
 * (one who signs in through the upstream identity provider), still costs one scrypt (against a
 * dummy hash), so the answer time does not tell which usernames exist or how they sign in.
 */
export async function authenticate(
  prisma: PrismaClient,
  username: string | undefined,
  password: string | undefined,
): Promise<User | null> {
  const user = username ? await prisma.user.findUnique({ where: { username } }) : null;
  const ok = await verifyPassword(password ?? '', user?.passwordHash ?? (await dummyPasswordHash()));
  return user?.passwordHash && ok ? user : null;
}
