import type { RequestHandler } from 'express';
import { parseInput } from '@mcp-auth/core';
import { z } from 'zod';
import type { AuthzContext } from '../deps.ts';
import { upstreamStartUrl } from '../upstream/upstream-routes.ts';
import { loginPage } from '../pages/login-page.ts';
import { formTargetOf, sendPage } from '../pages/send-page.ts';
import { finishSignIn } from './finish-sign-in.ts';
import { checkBinding, checkCsrf, clientDisplay, loadFlow, siteOf, type Flow } from './flow.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { findUserByName } from './authenticate.ts';
import { checkPassword } from './password-sign-in.ts';

// Lengths bound the work a request can cause (scrypt over a megabyte of "password").
const loginForm = z.object({
  request: z.string().optional(),
  csrf_token: z.string().optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
});

function render(deps: AuthzContext, flow: Flow, extra: { username?: string; error?: string } = {}) {
  return loginPage({
    site: siteOf(deps.config.issuer),
    requestId: flow.id,
    csrfToken: flow.csrfToken,
    continueTo: clientDisplay(flow),
    passwordForm: deps.config.passwordLogin,
    upstream: deps.upstream && {
      name: deps.upstream.settings.displayName,
      url: upstreamStartUrl(deps.config.issuer, flow.id),
    },
    ...extra,
  });
}

/** `GET /oauth/login?request=…` */
export function showLogin(deps: AuthzContext): RequestHandler {
  return async (req, res) => {
    const flow = await loadFlow(deps, req.query.request);
    checkBinding(req, flow);
    sendPage(res, 200, render(deps, flow), { formTargets: formTargetOf(flow.redirectUri) });
  };
}

/** `POST /oauth/login`: checks the flow, then the credentials, then whether consent is needed. */
export function submitLogin(deps: AuthzContext, throttle: LoginThrottle): RequestHandler {
  return async (req, res) => {
    const form = parseInput(loginForm, req.body ?? {});
    // The user is read while the flow is: one round trip of waiting, not two. Nothing is decided on
    // it before the flow, binding, CSRF and throttle checks below; a failed check drops it.
    const found = findUserByName(deps.prisma, form.username);
    found.catch(() => undefined);
    const flow = await loadFlow(deps, form.request);
    checkBinding(req, flow);
    checkCsrf(flow, form.csrf_token);

    const outcome = await checkPassword(deps, throttle, {
      address: req.ip ?? 'unknown',
      username: form.username,
      password: form.password,
      clientId: flow.clientId,
      found,
    });
    if (outcome.retryAfter !== undefined) {
      const page = render(deps, flow, { username: form.username, error: outcome.error });
      return sendPage(res.set('Retry-After', String(outcome.retryAfter)), 429, page, {
        formTargets: formTargetOf(flow.redirectUri),
      });
    }
    const user = outcome.user;
    if (!user) {
      return sendPage(res, 401, render(deps, flow, { username: form.username, error: outcome.error }), {
        formTargets: formTargetOf(flow.redirectUri),
      });
    }
    // The password was typed just now.
    await finishSignIn(deps, req, res, flow, user);
  };
}
