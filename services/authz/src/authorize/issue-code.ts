import { randomUUID } from 'node:crypto';
import {
  Prisma,
  randomToken,
  sha256,
  type AuthorizationCode,
  type AuthorizationRequest,
  type PrismaClient,
} from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { flowExpired } from './flow.ts';
import { authorizationResponseUrl } from './redirect.ts';
import { rememberConsentSql, type ConsentToRemember } from './remembered-consent.ts';

/** What a code is issued for: a stored request (`id`, consumed), or one answered at once (no id). */
export type CodeRequest = Pick<
  AuthorizationRequest,
  'clientId' | 'redirectUri' | 'scopes' | 'resource' | 'codeChallenge' | 'state'
> & { id?: string };

/**
 * Ends an approved authorization request: stores the code (hashed; the token endpoint checks
 * redirect_uri, code_challenge and resource against this row) and answers at the redirect URI.
 * A stored request row is consumed by the same statement that stores the code, so a double submit
 * cannot mint two codes. `authTime` is when the user last typed their password (kept for the grant).
 */
export async function issueCode(
  deps: Pick<AuthzContext, 'prisma' | 'config' | 'logger' | 'requests'>,
  request: CodeRequest,
  user: { userId: string; authTime: Date | null },
  now = new Date(),
  /** The consent page's Allow: remembered by the statement that consumes the stored request. */
  remember?: ConsentToRemember,
): Promise<string> {
  const code = randomToken();
  const familyId = randomUUID();
  const { userId, authTime } = user;
  const row = {
    codeHash: sha256(code),
    clientId: request.clientId,
    userId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    resource: request.resource,
    codeChallenge: request.codeChallenge,
    familyId,
    authTime,
    expiresAt: new Date(now.getTime() + deps.config.authCodeTtl * 1000),
  };
  if (request.id === undefined) {
    await deps.prisma.authorizationCode.create({ data: row });
  } else {
    const consumed = await consumeRequestIntoCode(deps.prisma, request.id, row, now, remember);
    deps.requests.forget(request.id);
    if (!consumed) throw flowExpired();
  }
  deps.logger.info(
    { clientId: request.clientId, userId, familyId, scopes: request.scopes },
    'authorization code issued',
  );
  return authorizationResponseUrl(request.redirectUri, {
    code,
    state: request.state ?? undefined,
    iss: deps.config.issuer,
  });
}

/**
 * Deletes the request and inserts the code (and remembers the consent, given one) in one statement:
 * one round trip and one commit, where a transaction took four (BEGIN, DELETE, INSERT, COMMIT).
 * Nothing is written when the request is gone (consumed by a concurrent submit, ended by a
 * sign-out), has expired, is now bound to another user than the one the caller saw (a login on
 * another replica), or its user has been disabled since: then false.
 */
async function consumeRequestIntoCode(
  prisma: PrismaClient,
  requestId: string,
  code: Omit<AuthorizationCode, 'usedAt' | 'createdAt'>,
  now: Date,
  remember?: ConsentToRemember,
): Promise<boolean> {
  const [row] = await prisma.$queryRaw<{ consumed: number }[]>`
    WITH consumed AS (
      DELETE FROM "authorization_requests"
      WHERE "id" = ${requestId} AND "userId" = ${code.userId}::uuid AND "expiresAt" > ${now}::timestamptz(3)
        AND EXISTS (SELECT 1 FROM "users" WHERE "id" = ${code.userId}::uuid AND "disabledAt" IS NULL)
      RETURNING 1),
    issued AS (
      INSERT INTO "authorization_codes"
        ("codeHash", "clientId", "userId", "redirectUri", "scopes", "resource", "codeChallenge",
         "familyId", "authTime", "expiresAt")
      SELECT ${code.codeHash}, ${code.clientId}, ${code.userId}::uuid, ${code.redirectUri},
        ${code.scopes}::text[], ${code.resource}, ${code.codeChallenge}, ${code.familyId}::uuid,
        ${code.authTime}::timestamptz(3), ${code.expiresAt}::timestamptz(3)
      FROM consumed
    )${remember ? Prisma.sql`, remembered AS (${rememberConsentSql(remember, now, 'consumed')})` : Prisma.empty}
    SELECT count(*)::int AS "consumed" FROM consumed`;
  return row!.consumed === 1;
}
