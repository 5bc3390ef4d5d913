import { z } from 'zod';
import {
  invalidGrant,
  invalidTarget,
  parseInput,
  sha256,
  type AuthorizationCode,
  type OAuthClient,
  type OAuthError,
  sameResource,
} from '@mcp-auth/core';
import { recordGrantRevocation } from '../../revocation/record.ts';
import { revokeFamily } from '../family.ts';
import { createRefreshToken, tokenResponse, type Grant } from '../issue.ts';
import { required } from '../params.ts';
import { verifyPkceS256 } from '../pkce.ts';
import { inTransaction } from '../transaction.ts';
import type { GrantHandler } from './grant.ts';

const schema = z.object({
  code: required(),
  redirect_uri: z.string().optional(),
  code_verifier: required(),
  resource: z.string().optional(),
});
type Params = z.output<typeof schema>;

const UNAVAILABLE = 'code invalid, expired or already used';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636) and RFC 8707 resource binding. The code is consumed
 * first and checked after: a request with a wrong verifier still spends the code, so someone who
 * intercepted it gets one guess, not as many as they can send within its lifetime.
 */
export const authorizationCodeGrant: GrantHandler = async ({ deps, client, params }) => {
  const input = parseInput(schema, params);
  const codeHash = sha256(input.code);
  const now = new Date();
  const wantsRefresh = client.grantTypes.includes('refresh_token');

  // One transaction, so that a concurrent replay (which waits on the code's row lock and then
  // finds it used) revokes the refresh token this redemption creates rather than missing it.
  const outcome = await inTransaction(deps.prisma, async (tx) => {
    // Only the client the code was issued to can spend it, or replay it: another client presenting
    // a leaked code must neither burn it nor revoke the victim's grant.
    // Spent and read in one statement (RETURNING): one round trip less than update, then select.
    const [code] = await tx.$queryRaw<AuthorizationCode[]>`
      UPDATE "authorization_codes" SET "usedAt" = ${now}::timestamptz(3)
      WHERE "codeHash" = ${codeHash} AND "clientId" = ${client.id} AND "usedAt" IS NULL
      RETURNING *`;
    if (code === undefined) {
      const used = await tx.authorizationCode.findUnique({ where: { codeHash } });
      if (used?.usedAt && used.clientId === client.id) {
        // RFC 6749 §4.1.2 / §10.5: a code used twice may have been stolen; withdraw what it issued.
        const revoked = await revokeFamily(tx, used.familyId, now);
        deps.logger.warn(
          { clientId: client.id, familyId: used.familyId, revoked },
          'authorization code replayed; grant revoked',
        );
        return { error: invalidGrant(UNAVAILABLE), revokedFamily: used.familyId };
      }
      return { error: invalidGrant(UNAVAILABLE) };
    }
    const error = checkRedemption(code, client, input, now);
    // Returned, not thrown: throwing would roll back and un-spend the code.
    if (error) return { error };
    const grant: Grant = {
      subject: code.userId,
      clientId: client.id,
      scopes: code.scopes,
      resource: code.resource,
      familyId: code.familyId,
      authTime: code.authTime,
    };
    const refresh = wantsRefresh
      ? await createRefreshToken(tx, deps.config, { ...grant, userId: code.userId }, now)
      : undefined;
    return { grant, refreshToken: refresh?.token };
  });

  if ('error' in outcome) {
    // After the commit, and for the access token the first redemption got too (same `sid`).
    if ('revokedFamily' in outcome && outcome.revokedFamily) {
      await recordGrantRevocation(deps, outcome.revokedFamily);
    }
    throw outcome.error;
  }
  return tokenResponse(deps.config, deps.signingKey, outcome.grant, outcome.refreshToken);
};

/** Each rule of RFC 6749 §4.1.3, RFC 7636 §4.6 and RFC 8707 §2.2, in that order. */
function checkRedemption(
  code: AuthorizationCode,
  client: OAuthClient,
  input: Params,
  now: Date,
): OAuthError | undefined {
  // Same description as an unknown code: nothing to learn about other clients' codes.
  if (code.clientId !== client.id) return invalidGrant(UNAVAILABLE);
  if (code.expiresAt <= now) return invalidGrant(UNAVAILABLE);
  // RFC 6749 §4.1.3 requires redirect_uri here only when the authorization request had one. That
  // request may leave it out only when the client registered exactly one, so an absent value is
  // accepted exactly then; whenever it is sent it must match.
  const redirectUri = input.redirect_uri ?? soleRedirectUri(client);
  if (redirectUri !== code.redirectUri) {
    return invalidGrant(
      input.redirect_uri === undefined
        ? 'redirect_uri is required: the client has several registered'
        : 'redirect_uri does not match the authorization request',
    );
  }
  if (!verifyPkceS256(input.code_verifier, code.codeChallenge)) {
    return invalidGrant('code_verifier does not match the code_challenge');
  }
  if (input.resource !== undefined && !sameResource(input.resource, code.resource)) {
    return invalidTarget('resource does not match the authorization request');
  }
  return undefined;
}

const soleRedirectUri = (client: OAuthClient): string | undefined =>
  client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
