import { dummyPasswordHash, verifyPassword, type PrismaClient, type User } from '@mcp-auth/core';

/**
 * The user with these credentials, or null. An unknown username still costs one scrypt (against a
 * dummy hash), so the answer time does not tell which usernames exist.
 */
export async function authenticate(
  prisma: PrismaClient,
  username: string | undefined,
  password: string | undefined,
): Promise<User | null> {
  const user = username ? await prisma.user.findUnique({ where: { username } }) : null;
  const ok = await verifyPassword(password ?? '', user?.passwordHash ?? (await dummyPasswordHash()));
  return user && ok ? user : null;
}
