import { revocations, temporarilyUnavailable, type RevocationEntry } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import type { AuthzDeps } from '../deps.ts';
import { inTransaction } from '../token/transaction.ts';
import { revokeFamily } from '../token/family.ts';
import { familyEntry } from './entries.ts';

// Only the access token lifetime: the admin CLI has no issuer or policy.
type RecordDeps = Pick<AuthzDeps, 'revocation' | 'logger' | 'prisma'> & {
  config: Pick<AuthzConfig, 'accessTokenTtl'>;
};

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * Hands entries to the revocation store (Postgres, then Redis). When the store fails, the entries
 * are retried in the background until it takes them or they expire, and the failure is rethrown:
 * a revocation that reached Postgres but not Redis would otherwise stay invisible to the MCP
 * service (whose Redis copy still looks complete) until the tokens expire, if the caller never
 * retried. Both writes are idempotent, so a retry racing the caller's own retry is harmless.
 */
export async function recordRevocations(
  deps: Pick<RecordDeps, 'revocation' | 'logger'>,
  entries: readonly RevocationEntry[],
): Promise<void> {
  try {
    await deps.revocation.revoke(entries);
    countRecorded(entries);
  } catch (err) {
    deps.logger.warn({ err, entries: entries.length }, 'revocation not fully recorded; retrying');
    retryInBackground(deps, entries, FIRST_RETRY_MS);
    throw err;
  }
}

function retryInBackground(
  deps: Pick<RecordDeps, 'revocation' | 'logger'>,
  entries: readonly RevocationEntry[],
  delayMs: number,
): void {
  const timer = setTimeout(() => {
    const live = entries.filter((e) => e.expiresAt.getTime() > Date.now());
    if (!live.length) return;
    deps.revocation.revoke(live).then(
      () => {
        countRecorded(live);
        deps.logger.info({ entries: live.length }, 'revocation recorded after retry');
      },
      () => retryInBackground(deps, live, Math.min(delayMs * 2, MAX_RETRY_MS)),
    );
  }, delayMs);
  // A pending retry must not keep a stopping process alive.
  timer.unref();
}

function countRecorded(entries: readonly RevocationEntry[]): void {
  for (const e of entries) revocations.inc({ kind: e.kind });
}

/**
 * Revokes a whole grant: its refresh tokens in Postgres (committed first, so that no rotation can
 * issue into the family afterwards), then its `sid` through the store, which covers every access
 * token the family ever had.
 */
export async function revokeGrant(deps: RecordDeps, familyId: string): Promise<void> {
  await inTransaction(deps.prisma, (tx) => revokeFamily(tx, familyId, new Date()));
  await recordRevocations(deps, [familyEntry(familyId, deps.config)]);
}

/**
 * For the token endpoint, which has already revoked the family's refresh tokens in its own
 * transaction and answers invalid_grant whatever happens here: a store failure is logged and
 * retried in the background, never turned into another answer.
 */
export async function recordGrantRevocation(deps: RecordDeps, familyId: string): Promise<void> {
  await recordRevocations(deps, [familyEntry(familyId, deps.config)]).catch((err: unknown) =>
    deps.logger.error({ err, familyId }, 'grant revoked in Postgres; its access tokens not yet'),
  );
}

/** The store took the durable record but not the fast one (or neither): the client should retry. */
export const storeUnavailable = () =>
  temporarilyUnavailable('the revocation could not be fully recorded; retry', 1);
