import type { Request, Response } from 'express';
import type { Prisma, Session } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { readSessionCookie, setSessionCookie } from './session-cookie.ts';
import { newSession, storeSessionSql } from './sessions.ts';

/**
 * Remembers in this browser that the user just proved who they are (a password, an identity
 * provider): a new session whose cookie replaces the one the browser held, which is ended (no
 * session fixation). Every way of signing in goes through here or through browserSignIn.
 */
export async function signInBrowser(
  deps: Pick<AuthzDeps, 'prisma' | 'config'>,
  req: Request,
  res: Response,
  userId: string,
): Promise<Session> {
  const signIn = browserSignIn(deps, req, userId);
  await deps.prisma.$queryRaw`WITH ${signIn.sql} SELECT 1`;
  signIn.setCookie(res);
  return signIn.session;
}

/**
 * The same sign-in, for a caller that stores it in its own statement: `sql` is the CTEs to put in
 * that statement's WITH (storeSessionSql), and `setCookie` is called once it has run.
 */
export function browserSignIn(
  deps: Pick<AuthzDeps, 'config'>,
  req: Request,
  userId: string,
  /** When the person proved who they are (the session's auth_time). */
  now = new Date(),
): { session: Session; sql: Prisma.Sql; setCookie: (res: Response) => void } {
  const { value, session } = newSession(deps.config, userId, now);
  return {
    session,
    sql: storeSessionSql(session, readSessionCookie(req, deps.config)),
    setCookie: (res) => setSessionCookie(res, value, session.absoluteExpiresAt, deps.config),
  };
}
