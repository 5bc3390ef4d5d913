import { hashPassword, type PrismaClient, type User } from '@mcp-auth/core';

/** A problem with the input or the account, with a message fit to show as is. */
export class UserError extends Error {
  override name = 'UserError';
}

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
// scrypt's cost grows with the input; nobody types more than this.
const MAX_PASSWORD_LENGTH = 1024;

export function validateUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw new UserError('username must be 1 to 64 characters: letters, digits, and . _ @ -');
  }
}

export function validatePassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`password is too short (at least ${MIN_PASSWORD_LENGTH} characters)`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new UserError(`password is too long (at most ${MAX_PASSWORD_LENGTH} characters)`);
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === 'P2002';
const isNotFound = (err: unknown) => (err as { code?: unknown } | null)?.code === 'P2025';

export async function createUser(prisma: PrismaClient, username: string, password: string): Promise<User> {
  validateUsername(username);
  validatePassword(password);
  const passwordHash = await hashPassword(password);
  try {
    return await prisma.user.create({ data: { username, passwordHash } });
  } catch (err) {
    if (isUniqueViolation(err)) throw new UserError(`user ${username} already exists`);
    throw err;
  }
}

export async function setPassword(prisma: PrismaClient, username: string, password: string): Promise<User> {
  validateUsername(username);
  validatePassword(password);
  const passwordHash = await hashPassword(password);
  try {
    return await prisma.user.update({ where: { username }, data: { passwordHash } });
  } catch (err) {
    if (isNotFound(err)) throw new UserError(`user ${username} does not exist`);
    throw err;
  }
}

export async function findUser(prisma: PrismaClient, username: string): Promise<User> {
  validateUsername(username);
  const user = await prisma.user.findUnique({ where: { username } });
  if (!user) throw new UserError(`user ${username} does not exist`);
  return user;
}
