import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@mcp-auth/core';
import { createUser } from '@mcp-auth/authz/users';

/**
 * On a fresh install there is nobody to log in as, so the all-in-one mode creates `admin` with a
 * random password and prints it once. Later starts (any user exists) do nothing.
 */
export async function ensureFirstAdmin(
  prisma: PrismaClient,
): Promise<{ username: string; password: string } | null> {
  if ((await prisma.user.count()) > 0) return null;
  const password = randomBytes(12).toString('base64url');
  await createUser(prisma, 'admin', password);
  return { username: 'admin', password };
}
