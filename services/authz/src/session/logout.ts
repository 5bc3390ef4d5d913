import type { RequestHandler } from 'express';
import { parseInput, safeEqual } from '@mcp-auth/core';
import { z } from 'zod';
import type { AuthzContext, AuthzDeps } from '../deps.ts';
import { clearBindingCookie } from '../authorize/binding-cookie.ts';
import { cookieBoundToken } from '../cookies.ts';
import { csrfFailed, siteOf } from '../authorize/flow.ts';
import { logoutPage } from '../pages/logout-page.ts';
import { sendPage } from '../pages/send-page.ts';
import { clearSessionCookie, readSessionCookie } from './session-cookie.ts';
import { endSession, findSession } from './sessions.ts';

const logoutForm = z.object({ csrf_token: z.string().max(256).optional() });

/**
 * The sign-out form's CSRF token, derived from the session cookie: only a page that could read our
 * HttpOnly cookie, or the page we rendered, knows it, and nothing has to be stored.
 */
const logoutToken = (sessionValue: string) => cookieBoundToken('sign-out', sessionValue);

/** `GET /oauth/logout`: asks for confirmation, naming who is signed in. */
export function showLogout(deps: AuthzDeps): RequestHandler {
  return async (req, res) => {
    const site = siteOf(deps.config.issuer);
    const value = readSessionCookie(req, deps.config);
    const session = await findSession(deps.prisma, deps.config, value);
    const user = session && (await deps.prisma.user.findUnique({ where: { id: session.userId } }));
    if (!value || !user) return sendPage(res, 200, logoutPage({ site }));
    sendPage(res, 200, logoutPage({ site, username: user.username, csrfToken: logoutToken(value) }));
  };
}

/**
 * `POST /oauth/logout`: ends this browser's session and clears its cookies, including the one that
 * binds sign-ins in progress, so a consent page left open cannot finish for the signed-out person.
 */
export function submitLogout(deps: AuthzContext): RequestHandler {
  return async (req, res) => {
    const form = parseInput(logoutForm, req.body ?? {});
    const value = readSessionCookie(req, deps.config);
    if (value) {
      const session = await findSession(deps.prisma, deps.config, value);
      const confirmed = form.csrf_token !== undefined && safeEqual(form.csrf_token, logoutToken(value));
      // A dead session has nothing to protect: its stale cookie is simply cleared below.
      if (session && !confirmed) {
        throw csrfFailed('the sign-out form is missing its security token or it does not match.');
      }
      await endSession(deps.prisma, value);
      if (session) {
        deps.logger.info({ userId: session.userId }, 'signed out');
        deps.audit.record({
          type: 'user.signed_out',
          outcome: 'success',
          actor: `user:${session.userId}`,
          address: req.ip,
          userId: session.userId,
          detail: { reason: 'logout_page' },
        });
      }
    }
    clearSessionCookie(res, deps.config);
    clearBindingCookie(res, deps.config);
    sendPage(res, 200, logoutPage({ site: siteOf(deps.config.issuer), done: true }));
  };
}
