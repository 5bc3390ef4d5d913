import type { OAuthClient } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { findToken } from '../token/find-token.ts';
import { accessTokenEntry } from './entries.ts';
import { recordRevocations, revokeGrant } from './record.ts';

/**
 * The MCP service accepts a token this long past `exp` (core's default clock tolerance), so such a
 * token is still worth revoking.
 */
const MCP_CLOCK_TOLERANCE_SECONDS = 5;

/**
 * RFC 7009 §2.1 for an authenticated client. An access token is revoked by its `jti`; a refresh
 * token takes its whole grant with it (its refresh tokens and, by `sid`, every access token), as
 * §2.1 allows and as logging out needs. Tokens of other clients, unknown, expired or already
 * revoked ones change nothing, and the caller cannot tell these cases apart (§2.2).
 *
 * Already revoked tokens are recorded again rather than skipped: both writes are idempotent, and
 * a client retrying after a 503 then repairs the fast copy the outage missed.
 */
export async function revokeToken(
  deps: AuthzContext,
  client: OAuthClient,
  token: string,
): Promise<RevokedToken | undefined> {
  const found = await findToken(deps, token, { clockToleranceSeconds: MCP_CLOCK_TOLERANCE_SECONDS });
  if (!found) return undefined;
  if (found.type === 'access_token') {
    if (found.claims.client_id !== client.id) return undefined;
    await recordRevocations(deps, [accessTokenEntry(found.claims)]);
    deps.logger.info({ clientId: client.id, jti: found.claims.jti }, 'access token revoked');
    return { tokenType: 'access_token', subject: found.claims.sub, jti: found.claims.jti };
  }
  if (found.row.clientId !== client.id) return undefined;
  await revokeGrant(deps, found.row.familyId);
  deps.logger.info({ clientId: client.id, familyId: found.row.familyId }, 'grant revoked by its client');
  return { tokenType: 'refresh_token', subject: found.row.userId, familyId: found.row.familyId };
}

/** What a revocation request withdrew (for the audit log; the client is told nothing, §2.2). */
export interface RevokedToken {
  tokenType: 'access_token' | 'refresh_token';
  subject?: string;
  jti?: string;
  familyId?: string;
}
