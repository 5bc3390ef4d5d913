import type { Request, Response } from 'express';
import type { User } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { browserSignIn } from '../session/sign-in-browser.ts';
import { flowExpired, type Flow } from './flow.ts';
import { issueCode } from './issue-code.ts';
import { redirectTo } from './redirect.ts';
import { consentNeededGiven, rememberedConsentSql, type RememberedConsent } from './remembered-consent.ts';
import { bindRequestSql } from './request-store.ts';

/**
 * What follows a person proving who they are for an authorization request, whatever the method
 * (a password, an upstream identity provider): a new remembered sign-in replaces the browser's old
 * one, the request is bound to the user, then the consent page, or the code when consent is
 * remembered.
 */
export async function finishSignIn(
  deps: AuthzContext,
  req: Request,
  res: Response,
  flow: Flow,
  user: Pick<User, 'id' | 'username'>,
): Promise<void> {
  const key = { userId: user.id, clientId: flow.clientId, resource: flow.resource };
  const now = new Date();
  const signIn = browserSignIn(deps, req, user.id, now);
  // The sign-in is stored, the request bound to the user and the remembered consent read in one
  // statement: one round trip and one commit, where three statements side by side took two commits.
  const [row] = await deps.prisma.$queryRaw<({ bound: number } & Partial<RememberedConsent>)[]>`
    WITH ${signIn.sql}, ${bindRequestSql(flow.id, user.id, now)}
    SELECT (SELECT count(*) FROM bound)::int AS "bound", remembered."scopes", remembered."expiresAt"
    FROM (VALUES (1)) AS one LEFT JOIN (${rememberedConsentSql(key)}) AS remembered ON true`;
  signIn.setCookie(res);
  if (row!.bound !== 1) {
    deps.requests.forget(flow.id);
    throw flowExpired();
  }
  deps.requests.bound(flow.id, user, now);
  const remembered = row!.expiresAt ? { scopes: row!.scopes!, expiresAt: row!.expiresAt } : undefined;

  if (!consentNeededGiven(flow, remembered, now)) {
    return redirectTo(res, await issueCode(deps, flow, { userId: user.id, authTime: now }));
  }
  redirectTo(res, `${deps.config.issuer}/oauth/consent?request=${encodeURIComponent(flow.id)}`);
}
