import { z } from 'zod';
import {
  invalidGrant,
  invalidTarget,
  parseInput,
  sha256,
  type AuthorizationCode,
  type OAuthClient,
  type OAuthError,
  type PrismaClient,
  sameResource,
} from '@mcp-auth/core';
import { recordGrantRevocation } from '../../revocation/record.ts';
import { revokeFamily } from '../family.ts';
import { newRefreshTokenValues, tokenResponse, type Grant } from '../issue.ts';
import { required } from '../params.ts';
import { s256ChallengeOf } from '../pkce.ts';
import { inTransaction } from '../transaction.ts';
import type { GrantContext, GrantHandler } from './grant.ts';

const schema = z.object({
  code: required(),
  redirect_uri: z.string().optional(),
  code_verifier: required(),
  resource: z.string().optional(),
});
type Params = z.output<typeof schema>;

const UNAVAILABLE = 'code invalid, expired or already used';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and RFC 8707 resource binding. A code the checks refuse is
 * spent all the same: a request with a wrong verifier burns it, so someone who intercepted it gets
 * one guess, not as many as they can send within its lifetime.
 *
 * One statement on the happy path (README "Benchmarks", the flow section): it spends the code and,
 * when the code is unexpired and answers the redirect_uri and the PKCE verifier (the values
 * checkRedemption compares, computed once: expectedOf), stores the refresh token with it, so a grant's refresh
 * token exists exactly when its code is spent (a replay, a sign-out everywhere or a disabling that
 * revokes the family cannot fall between the two). Then checkRedemption decides on the returned
 * row. The resource is checked there only (compared as URLs, which SQL cannot do): a refusal for
 * the resource discards the refresh token the statement stored, which was never handed out.
 *
 * A code this call did not spend is either unknown (or another client's: neither spent nor treated
 * as a replay, so a leaked code cannot revoke the victim's grant) or already used. A concurrent
 * redemption waits on the code's row lock, finds it spent, and as a replay revokes what the first
 * one issued.
 */
export const authorizationCodeGrant: GrantHandler = async ({ deps, client, params }) => {
  const input = parseInput(schema, params);
  const codeHash = sha256(input.code);
  const now = new Date();
  const refresh = client.grantTypes.includes('refresh_token')
    ? newRefreshTokenValues(deps.config, now)
    : undefined;

  const expected = expectedOf(client, input);
  const redemption = await redeemCode(deps.prisma, { codeHash, clientId: client.id, now, expected, refresh });
  if (!redemption) return notSpentHere(deps, client, codeHash, now);
  const { issued, ...code } = redemption;

  const error = checkRedemption(code, input, expected, now);
  if (error) {
    // Only the resource check can refuse what the statement accepted (below). Its refresh token was
    // never handed out, so nobody can use it; it goes so that no grant is listed for it.
    if (issued) await discardRefreshToken(deps, refresh!.id);
    throw error;
  }
  // The statement's checks are checkRedemption's but the resource: with them passed, it stored one.
  if (refresh && !issued) throw new Error('code redemption: the refresh token was not stored');
  const grant: Grant = {
    subject: code.userId,
    clientId: client.id,
    scopes: code.scopes,
    resource: code.resource,
    familyId: code.familyId,
    authTime: code.authTime,
  };
  return tokenResponse(deps.config, deps.signingKey, grant, refresh?.token);
};

/** Deletes a refresh token that was stored but never sent; a failure leaves one nobody holds. */
async function discardRefreshToken(deps: GrantContext['deps'], id: string): Promise<void> {
  try {
    await deps.prisma.refreshToken.deleteMany({ where: { id } });
  } catch (err) {
    deps.logger.warn({ err, refreshTokenId: id }, 'could not discard the refresh token of a refused code');
  }
}

/** Why a code was not spent by this call: unknown or another client's, or used before (a replay). */
async function notSpentHere(
  deps: GrantContext['deps'],
  client: OAuthClient,
  codeHash: string,
  now: Date,
): Promise<never> {
  const [code] = await deps.prisma.$queryRaw<Pick<AuthorizationCode, 'clientId' | 'familyId'>[]>`
    SELECT "clientId", "familyId" FROM "authorization_codes" WHERE "codeHash" = ${codeHash}`;
  if (!code || code.clientId !== client.id) throw invalidGrant(UNAVAILABLE);
  return replayed(deps, client, code.familyId, now);
}

/**
 * RFC 6749 §4.1.2 / §10.5: a code used twice may have been stolen; what it issued is withdrawn
 * (its refresh tokens now, its access tokens through their `sid`).
 */
async function replayed(
  deps: GrantContext['deps'],
  client: OAuthClient,
  familyId: string,
  now: Date,
): Promise<never> {
  const revoked = await inTransaction(deps.prisma, (tx) => revokeFamily(tx, familyId, now));
  deps.logger.warn({ clientId: client.id, familyId, revoked }, 'authorization code replayed; grant revoked');
  await recordGrantRevocation(deps, familyId);
  throw invalidGrant(UNAVAILABLE);
}

/**
 * Spends the code if it is this client's and unused, and in the same statement stores the refresh
 * token (given its values) if the code passes the checks SQL makes (above); its other columns come
 * from the code. Returns the spent code and whether the refresh token was stored, or undefined when
 * this call did not spend it. A data-modifying WITH runs whether or not the outer query reads it.
 */
async function redeemCode(
  prisma: PrismaClient,
  r: {
    codeHash: string;
    clientId: string;
    now: Date;
    expected: Expected;
    refresh: ReturnType<typeof newRefreshTokenValues> | undefined;
  },
): Promise<(AuthorizationCode & { issued: number }) | undefined> {
  const { refresh } = r;
  const [row] = await prisma.$queryRaw<(AuthorizationCode & { issued: number })[]>`
    WITH spent AS (
      UPDATE "authorization_codes" SET "usedAt" = ${r.now}::timestamptz(3)
      WHERE "codeHash" = ${r.codeHash} AND "clientId" = ${r.clientId} AND "usedAt" IS NULL
      RETURNING *
    ), issued AS (
      INSERT INTO "refresh_tokens"
        ("id", "tokenHash", "familyId", "clientId", "userId", "scopes", "resource", "expiresAt",
         "familyExpiresAt", "authTime")
      SELECT ${refresh?.id ?? null}::uuid, ${refresh?.tokenHash ?? null}, "familyId", "clientId", "userId",
        "scopes", "resource", ${refresh?.expiresAt ?? null}::timestamptz(3),
        ${refresh?.familyExpiresAt ?? null}::timestamptz(3), "authTime"
      FROM spent
      WHERE ${refresh !== undefined} AND "expiresAt" > ${r.now}::timestamptz(3)
        AND "redirectUri" = ${r.expected.redirectUri} AND "codeChallenge" = ${r.expected.codeChallenge}
      RETURNING 1
    )
    SELECT spent.*, (SELECT count(*) FROM issued)::int AS "issued" FROM spent`;
  return row;
}

/**
 * What the code must hold for this request: the redirect_uri and the S256 challenge of the verifier
 * (null when the verifier is malformed: it matches nothing). Computed once, for the redemption
 * statement and for checkRedemption alike, so the two cannot disagree on them.
 */
interface Expected {
  redirectUri: string | null;
  codeChallenge: string | null;
}

// RFC 6749 §4.1.3 requires redirect_uri here only when the authorization request had one. That
// request may leave it out only when the client registered exactly one, so an absent value is
// accepted exactly then; whenever it is sent it must match.
const expectedOf = (client: OAuthClient, input: Params): Expected => ({
  redirectUri: input.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0]! : null),
  codeChallenge: s256ChallengeOf(input.code_verifier),
});

/** Each rule of RFC 6749 §4.1.3, RFC 7636 §4.6 and RFC 8707 §2.2, in that order. */
function checkRedemption(
  code: AuthorizationCode,
  input: Params,
  expected: Expected,
  now: Date,
): OAuthError | undefined {
  // Same description as an unknown code (another client's code was refused before this).
  if (code.expiresAt <= now) return invalidGrant(UNAVAILABLE);
  if (expected.redirectUri !== code.redirectUri) {
    return invalidGrant(
      input.redirect_uri === undefined
        ? 'redirect_uri is required: the client has several registered'
        : 'redirect_uri does not match the authorization request',
    );
  }
  if (expected.codeChallenge === null || expected.codeChallenge !== code.codeChallenge) {
    return invalidGrant('code_verifier does not match the code_challenge');
  }
  if (input.resource !== undefined && !sameResource(input.resource, code.resource)) {
    return invalidTarget('resource does not match the authorization request');
  }
  return undefined;
}
