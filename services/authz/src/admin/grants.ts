import { invalidRequest } from '@mcp-auth/core';
import { listGrants, withdrawGrant, type Grant, type GrantFilter } from '../grants/grants.ts';
import { audited } from './audited.ts';
import type { AdminActor, AdminDeps } from './deps.ts';
import { notFound } from './errors.ts';

/** Whose grants: a username and/or a client id (at least one), and for revoking, one resource. */
export interface GrantSelector {
  username?: string;
  clientId?: string;
  resource?: string;
}

async function filterOf(deps: AdminDeps, selector: GrantSelector): Promise<GrantFilter> {
  if (!selector.username && !selector.clientId) {
    throw invalidRequest('name a user, a client, or both');
  }
  const filter: GrantFilter = {};
  if (selector.username) {
    const user = await deps.prisma.user.findUnique({ where: { username: selector.username } });
    if (!user) throw notFound(`user ${selector.username} does not exist`);
    filter.userId = user.id;
  }
  if (selector.clientId) filter.clientId = selector.clientId;
  return filter;
}

const targetOf = (s: GrantSelector) => ({ clientId: s.clientId, detail: { ...s } });

/** Grants (remembered consents and live token families) of a user, a client, or the pair. */
export async function listGrantsOf(
  deps: AdminDeps,
  who: AdminActor,
  selector: GrantSelector,
): Promise<Grant[]> {
  return audited(
    deps,
    who,
    'grants.list',
    targetOf(selector),
    async (target) => {
      const filter = await filterOf(deps, selector);
      target.userId = filter.userId;
      const grants = await listGrants(deps.prisma, filter);
      return selector.resource ? grants.filter((g) => g.resource === selector.resource) : grants;
    },
    (grants) => ({ count: grants.length }),
  );
}

export interface RevokeGrantsResult {
  /** Grants withdrawn (user, client, resource). */
  grants: number;
  /** Remembered consents removed. */
  consents: number;
  /** Token families revoked (their refresh tokens and, by `sid`, their access tokens). */
  families: number;
  /** Unredeemed authorization codes removed. */
  codes: number;
}

/**
 * Withdraws every grant the selector matches, through the one grants service (grants.ts): the
 * remembered consent, unredeemed codes and every family's tokens. Each withdrawal is also a
 * `consent.withdrawn` event for the person concerned.
 */
export async function revokeGrants(
  deps: AdminDeps,
  who: AdminActor,
  selector: GrantSelector,
): Promise<RevokeGrantsResult> {
  return audited(
    deps,
    who,
    'grants.revoke',
    targetOf(selector),
    async (target) => {
      const filter = await filterOf(deps, selector);
      target.userId = filter.userId;
      const grants = (await listGrants(deps.prisma, filter)).filter(
        (g) => !selector.resource || g.resource === selector.resource,
      );
      const total: RevokeGrantsResult = { grants: 0, consents: 0, families: 0, codes: 0 };
      for (const g of grants) {
        const key = { userId: g.userId, clientId: g.clientId, resource: g.resource };
        const r = await withdrawGrant(deps, key);
        total.grants += 1;
        total.consents += r.consent ? 1 : 0;
        total.families += r.families;
        total.codes += r.codes;
        deps.audit.record({
          type: 'consent.withdrawn',
          outcome: 'success',
          actor: who.actor,
          address: who.address,
          userId: g.userId,
          clientId: g.clientId,
          detail: { resource: g.resource, via: 'admin', ...r },
        });
      }
      return total;
    },
    (r) => ({ ...r }),
  );
}
