import type { Request, Response } from 'express';
import type { User } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { signInBrowser } from '../session/sign-in-browser.ts';
import { flowExpired, type Flow } from './flow.ts';
import { issueCode } from './issue-code.ts';
import { redirectTo } from './redirect.ts';
import { consentNeeded } from './remembered-consent.ts';

/**
 * What follows a person proving who they are for an authorization request, whatever the method
 * (a password, an upstream identity provider): a new remembered sign-in replaces the browser's old
 * one, the request is bound to the user, then the consent page, or the code when consent is
 * remembered.
 */
export async function finishSignIn(
  deps: AuthzDeps,
  req: Request,
  res: Response,
  flow: Flow,
  user: Pick<User, 'id'>,
): Promise<void> {
  const key = { userId: user.id, clientId: flow.clientId, resource: flow.resource };
  // The sign-in is written, the request bound to the user and the remembered consent read side by
  // side: independent statements, so one round trip of waiting instead of three.
  const now = new Date();
  const [, bound, needsConsent] = await Promise.all([
    signInBrowser(deps, req, res, user.id, now),
    deps.prisma.authorizationRequest.updateMany({
      where: { id: flow.id },
      data: { userId: user.id, authTime: now },
    }),
    consentNeeded(deps.prisma, flow, key),
  ]);
  if (bound.count !== 1) throw flowExpired();
  const authTime = now;

  if (!needsConsent) {
    return redirectTo(res, await issueCode(deps, flow, { userId: user.id, authTime }));
  }
  redirectTo(res, `${deps.config.issuer}/oauth/consent?request=${encodeURIComponent(flow.id)}`);
}
