import type { RequestHandler } from 'express';
import { parseInput } from '@mcp-auth/core';
import { z } from 'zod';
import type { AuthzContext, AuthzDeps } from '../deps.ts';
import { readSessionCookie, setSessionCookie } from '../session/session-cookie.ts';
import { startSession } from '../session/sessions.ts';
import { loginPage } from '../pages/login-page.ts';
import { formTargetOf, sendPage } from '../pages/send-page.ts';
import { authenticate } from './authenticate.ts';
import { checkBinding, checkCsrf, clientDisplay, flowExpired, loadFlow, siteOf, type Flow } from './flow.ts';
import { issueCode } from './issue-code.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { redirectTo } from './redirect.ts';
import { consentNeeded } from './remembered-consent.ts';

const INCORRECT = 'Incorrect username or password.';

// Lengths bound the work a request can cause (scrypt over a megabyte of "password").
const loginForm = z.object({
  request: z.string().optional(),
  csrf_token: z.string().optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
});

function render(deps: AuthzDeps, flow: Flow, extra: { username?: string; error?: string } = {}) {
  return loginPage({
    site: siteOf(deps.config.issuer),
    requestId: flow.id,
    csrfToken: flow.csrfToken,
    ...clientDisplay(flow),
    ...extra,
  });
}

/** `GET /oauth/login?request=…` */
export function showLogin(deps: AuthzDeps): RequestHandler {
  return async (req, res) => {
    const flow = await loadFlow(deps.prisma, req.query.request);
    checkBinding(req, flow);
    sendPage(res, 200, render(deps, flow), { formTargets: formTargetOf(flow.redirectUri) });
  };
}

/** `POST /oauth/login`: checks the flow, then the credentials, then whether consent is needed. */
export function submitLogin(deps: AuthzContext, throttle: LoginThrottle): RequestHandler {
  return async (req, res) => {
    const form = parseInput(loginForm, req.body ?? {});
    const flow = await loadFlow(deps.prisma, form.request);
    checkBinding(req, flow);
    checkCsrf(flow, form.csrf_token);

    const address = req.ip ?? 'unknown';
    const username = form.username ?? '';
    const admission = await throttle.admit(address, username);
    if (admission.retryAfter !== undefined) {
      const wait = admission.retryAfter;
      deps.logger.warn({ clientId: flow.clientId, address }, 'login throttled');
      deps.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        address,
        clientId: flow.clientId,
        detail: { username, reason: 'throttled' },
      });
      const minutes = Math.ceil(wait / 60);
      const error = `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
      return sendPage(res.set('Retry-After', String(wait)), 429, render(deps, flow, { username, error }), {
        formTargets: formTargetOf(flow.redirectUri),
      });
    }

    const result = await authenticate(deps.prisma, deps.logger, form.username, form.password).catch(
      async (err: unknown) => {
        await admission.attempt.finish('abandoned');
        throw err;
      },
    );
    const { user } = result;
    await admission.attempt.finish(user ? 'success' : 'failure');
    if (!user) {
      deps.logger.info({ clientId: flow.clientId, address }, 'login failed');
      deps.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        address,
        clientId: flow.clientId,
        userId: result.userId,
        detail: { username, reason: result.reason },
      });
      return sendPage(res, 401, render(deps, flow, { username: form.username, error: INCORRECT }), {
        formTargets: formTargetOf(flow.redirectUri),
      });
    }
    // The password was typed just now: a new remembered sign-in replaces the browser's old one.
    const { value, session } = await startSession(
      deps.prisma,
      deps.config,
      user.id,
      readSessionCookie(req, deps.config),
    );
    setSessionCookie(res, value, session.absoluteExpiresAt, deps.config);
    const authTime = session.authTime;
    const bound = await deps.prisma.authorizationRequest.updateMany({
      where: { id: flow.id },
      data: { userId: user.id, authTime },
    });
    if (bound.count !== 1) throw flowExpired();
    deps.logger.info({ userId: user.id, clientId: flow.clientId }, 'login succeeded');
    deps.audit.record({
      type: 'login.succeeded',
      outcome: 'success',
      actor: `user:${user.id}`,
      address,
      clientId: flow.clientId,
      userId: user.id,
      detail: { username: user.username, method: 'password' },
    });

    const key = { userId: user.id, clientId: flow.clientId, resource: flow.resource };
    if (!(await consentNeeded(deps.prisma, flow, key))) {
      return redirectTo(res, await issueCode(deps, flow, { userId: user.id, authTime }));
    }
    redirectTo(res, `${deps.config.issuer}/oauth/consent?request=${encodeURIComponent(flow.id)}`);
  };
}
