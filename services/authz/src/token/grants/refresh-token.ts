import { z } from 'zod';
import {
  invalidGrant,
  invalidScope,
  invalidTarget,
  parseInput,
  parseScope,
  sha256,
  type RefreshToken,
  refreshReuseDetected,
  sameResource,
  serverForResource,
  type Policy,
} from '@mcp-auth/core';
import { recordGrantRevocation } from '../../revocation/record.ts';
import { lockFamily, revokeFamily } from '../family.ts';
import { createRefreshToken, tokenResponse, type Grant } from '../issue.ts';
import { required } from '../params.ts';
import { inTransaction } from '../transaction.ts';
import type { GrantHandler } from './grant.ts';

const schema = z.object({
  refresh_token: required(),
  scope: z.string().optional(),
  resource: z.string().optional(),
});

const UNAVAILABLE = 'refresh token invalid, expired or revoked';

/**
 * RFC 6749 §6 with rotation (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2): every use returns a successor
 * and retires the token; a retired token presented again means one of its holders is not the
 * client, so the whole family is revoked.
 */
export const refreshTokenGrant: GrantHandler = async ({ deps, client, params, address }) => {
  const input = parseInput(schema, params);
  const tokenHash = sha256(input.refresh_token);
  const now = new Date();
  const stored = await deps.prisma.refreshToken.findUnique({ where: { tokenHash } });
  if (!stored || stored.clientId !== client.id) throw invalidGrant(UNAVAILABLE);

  const outcome = await inTransaction(deps.prisma, async (tx) => {
    await lockFamily(tx, stored.familyId);
    // Exactly one of several concurrent uses wins; the others see rotatedAt set and count as reuse.
    const { count } = await tx.refreshToken.updateMany({
      where: { id: stored.id, rotatedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { rotatedAt: now },
    });
    if (count === 0) {
      const current = await tx.refreshToken.findUniqueOrThrow({ where: { id: stored.id } });
      if (current.rotatedAt === null) return { error: invalidGrant(UNAVAILABLE) };
      // Reuse. Revoked again even when an earlier reuse already did it: the family's `sid` is then
      // recorded once more, which repairs a recording that an outage interrupted.
      const revoked = await revokeFamily(tx, stored.familyId, now);
      refreshReuseDetected.inc();
      deps.audit.record({
        type: 'refresh.reuse_detected',
        outcome: 'failure',
        actor: `client:${client.id}`,
        address,
        clientId: client.id,
        userId: stored.userId,
        detail: { familyId: stored.familyId, refreshTokensRevoked: revoked },
      });
      if (revoked > 0) {
        deps.logger.warn(
          { clientId: client.id, familyId: stored.familyId, revoked },
          'rotated refresh token reused; grant revoked',
        );
      }
      return { error: invalidGrant(UNAVAILABLE), revokedFamily: stored.familyId };
    }
    // Checked only now, so that a reused token is caught whatever else the request says. Thrown
    // inside the transaction: the rollback leaves the token unspent for a corrected request.
    const scopes = grantedScopes(stored, input, deps.config.policy);
    // The successor keeps the original scopes (RFC 6749 §6): narrowing applies to this access token only.
    const successor = await createRefreshToken(
      tx,
      deps.config,
      {
        subject: stored.userId,
        userId: stored.userId,
        clientId: client.id,
        scopes: stored.scopes,
        resource: stored.resource,
        familyId: stored.familyId,
        familyExpiresAt: stored.familyExpiresAt,
        authTime: stored.authTime,
      },
      now,
    );
    await tx.refreshToken.update({ where: { id: stored.id }, data: { replacedById: successor.id } });
    return { refreshToken: successor.token, scopes };
  });
  if ('error' in outcome) {
    // After the commit: the refresh tokens are revoked for good before the access tokens are.
    if (outcome.revokedFamily) await recordGrantRevocation(deps, outcome.revokedFamily);
    throw outcome.error;
  }

  const grant: Grant = {
    subject: stored.userId,
    clientId: client.id,
    scopes: outcome.scopes,
    resource: stored.resource,
    familyId: stored.familyId,
    authTime: stored.authTime,
  };
  return tokenResponse(deps.config, deps.signingKey, grant, outcome.refreshToken);
};

/**
 * The new access token may narrow the grant, never widen it (RFC 6749 §6); the resource stays, and
 * must still be one the policy protects (an operator who removed a server ends its grants).
 */
function grantedScopes(stored: RefreshToken, input: z.output<typeof schema>, policy: Policy): string[] {
  const requested = parseScope(input.scope);
  for (const scope of requested) {
    if (!stored.scopes.includes(scope)) throw invalidScope(`scope ${scope} was not granted`);
  }
  if (input.resource !== undefined && !sameResource(input.resource, stored.resource)) {
    throw invalidTarget('resource does not match the grant');
  }
  if (!serverForResource(policy, stored.resource)) {
    throw invalidTarget('the resource of this grant is no longer protected by this server');
  }
  return requested.length ? requested : stored.scopes;
}
