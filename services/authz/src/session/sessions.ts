import { Prisma, randomToken, sha256, type PrismaClient, type Session } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';

type SessionConfig = Pick<AuthzConfig, 'sessionIdleTtl' | 'sessionMaxLifetime'>;

// Writing lastSeenAt on every authorization would cost a row update each time; sliding the idle
// expiry at most once a minute is as good for a lifetime counted in hours.
const TOUCH_INTERVAL_MS = 60_000;

/** The end of a session used at `now`: idle lifetime from now, never past its absolute end. */
const slidingEnd = (config: SessionConfig, now: Date, absoluteEnd: Date) =>
  new Date(Math.min(now.getTime() + config.sessionIdleTtl * 1000, absoluteEnd.getTime()));

/**
 * A session for a user who has just proved who they are. Always a new random id: a login never
 * keeps an id that someone else may have planted or seen (session fixation). `value` is the
 * cookie; only its hash is stored.
 */
export function newSession(
  config: SessionConfig,
  userId: string,
  now = new Date(),
): { value: string; session: Session } {
  const value = randomToken();
  const absoluteExpiresAt = new Date(now.getTime() + config.sessionMaxLifetime * 1000);
  const session: Session = {
    idHash: sha256(value),
    userId,
    authTime: now,
    lastSeenAt: now,
    expiresAt: slidingEnd(config, now, absoluteExpiresAt),
    absoluteExpiresAt,
    createdAt: now,
  };
  return { value, session };
}

/**
 * The CTEs (`ended`, `started`) that end the session the browser held before, if any, and store
 * `session`: in one statement, so both happen or neither (a transaction took four round trips). A
 * fragment, so that the login can do its other writes in the same statement (see finish-sign-in).
 */
export const storeSessionSql = (session: Session, previous: string | undefined) => Prisma.sql`
  ended AS (DELETE FROM "sessions" WHERE "idHash" = ${previous === undefined ? null : sha256(previous)}),
  started AS (
    INSERT INTO "sessions"
      ("idHash", "userId", "authTime", "lastSeenAt", "expiresAt", "absoluteExpiresAt", "createdAt")
    VALUES (${session.idHash}, ${session.userId}::uuid, ${session.authTime}::timestamptz(3),
      ${session.lastSeenAt}::timestamptz(3), ${session.expiresAt}::timestamptz(3),
      ${session.absoluteExpiresAt}::timestamptz(3), ${session.createdAt}::timestamptz(3)))`;

/**
 * The live session this cookie value names, its idle expiry slid forward; undefined when there is
 * none, or it has expired (idle or absolute).
 */
export async function findSession(
  prisma: PrismaClient,
  config: SessionConfig,
  value: string | undefined,
  now = new Date(),
): Promise<Session | undefined> {
  // Our values are 43 characters; anything far longer is not worth a hash and a query.
  if (!value || value.length > 128) return undefined;
  // A disabled user's sessions were ended when they were disabled; the join also covers a login
  // that raced the disabling.
  const session = await prisma.session.findFirst({
    where: { idHash: sha256(value), user: { disabledAt: null } },
  });
  if (!session || session.expiresAt <= now) return undefined;
  if (now.getTime() - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return session;
  const expiresAt = slidingEnd(config, now, session.absoluteExpiresAt);
  // Conditional, so that a session ended meanwhile (sign-out, password change) is not revived.
  const { count } = await prisma.session.updateMany({
    where: { idHash: session.idHash, expiresAt: { gt: now } },
    data: { lastSeenAt: now, expiresAt },
  });
  return count === 1 ? { ...session, lastSeenAt: now, expiresAt } : undefined;
}

/** Ends the session this cookie value names, if any. */
export async function endSession(prisma: PrismaClient, value: string): Promise<void> {
  await prisma.session.deleteMany({ where: { idHash: sha256(value) } });
}

/**
 * Ends every session of a user (password change, the operator's sign-out), and the authorization
 * requests they had already signed in to, so a consent page left open cannot finish either.
 * Returns how many sessions were ended.
 */
export async function endSessions(prisma: PrismaClient, userId: string): Promise<number> {
  const [sessions] = await prisma.$transaction([
    prisma.session.deleteMany({ where: { userId } }),
    prisma.authorizationRequest.deleteMany({ where: { userId } }),
  ]);
  return sessions.count;
}
