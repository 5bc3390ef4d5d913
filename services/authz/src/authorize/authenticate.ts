import {
  dummyPasswordHash,
  hashPassword,
  passwordNeedsRehash,
  verifyPassword,
  type Logger,
  type PrismaClient,
  type User,
} from '@mcp-auth/core';

/** The user of that name, or null (none given, or unknown). */
export function findUserByName(prisma: PrismaClient, username: string | undefined): Promise<User | null> {
  if (!username) return Promise.resolve(null);
  // Raw: on every login, where the model API's query layer costs more than the statement.
  return prisma.$queryRaw<User[]>`SELECT * FROM "users" WHERE "username" = ${username}`.then(
    ([u]) => u ?? null,
  );
}

/**
 * The user with these credentials, or null. An unknown username, or a user without a password
 * (one who signs in through the upstream identity provider), still costs one scrypt (against a
 * dummy hash), so the answer time does not tell which usernames exist or how they sign in. A
 * disabled user is refused like a wrong password (after the same scrypt), so the page does not
 * tell who was disabled; `reason` says why, for the audit log only.
 */
export async function authenticate(
  prisma: PrismaClient,
  logger: Logger,
  username: string | undefined,
  password: string | undefined,
  /** The user named `username`, when the caller started reading it already (findUserByName). */
  found?: Promise<User | null>,
): Promise<
  { user: User } | { user?: undefined; userId?: string; reason: 'unknown_user' | 'bad_password' | 'disabled' }
> {
  const user = await (found ?? findUserByName(prisma, username));
  const ok = await verifyPassword(password ?? '', user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user) return { reason: 'unknown_user' };
  // No password: this user signs in only through the upstream provider.
  if (!ok || !user.passwordHash) return { reason: 'bad_password', userId: user.id };
  if (user.disabledAt) return { reason: 'disabled', userId: user.id };
  if (passwordNeedsRehash(user.passwordHash))
    return { user: await upgradeHash(prisma, logger, user, password ?? '') };
  return { user };
}

/**
 * Re-hashes with the current parameters (PASSWORD_HASH_COST) now that the password is known. Only
 * if the stored hash is still the one just verified: a password changed meanwhile is not undone.
 * A failure here does not fail the login: the old hash still verifies, and the next login retries.
 */
async function upgradeHash(
  prisma: PrismaClient,
  logger: Logger,
  user: User,
  password: string,
): Promise<User> {
  try {
    const passwordHash = await hashPassword(password);
    const updated = await prisma.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash },
      data: { passwordHash },
    });
    if (updated.count === 1) {
      logger.info({ userId: user.id }, 'password hash upgraded to the current parameters');
      return { ...user, passwordHash };
    }
  } catch (err) {
    logger.warn({ err, userId: user.id }, 'could not upgrade the password hash; the old one stays valid');
  }
  return user;
}
