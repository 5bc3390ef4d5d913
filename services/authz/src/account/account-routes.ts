import express, { type RequestHandler, type Router } from 'express';
import {
  describeScope,
  parseInput,
  rejectNul,
  safeEqual,
  serverForResource,
  strictRouter,
} from '@mcp-auth/core';
import { z } from 'zod';
import type { AuthzContext } from '../deps.ts';
import { csrfFailed, siteOf } from '../authorize/flow.ts';
import type { LoginThrottle } from '../authorize/login-throttle.ts';
import { checkPassword } from '../authorize/password-sign-in.ts';
import { redirectTo } from '../authorize/redirect.ts';
import { listGrants, withdrawGrant } from '../grants/grants.ts';
import { accountPage } from '../pages/account-page.ts';
import { loginPage } from '../pages/login-page.ts';
import { sendPage } from '../pages/send-page.ts';
import { readSessionCookie } from '../session/session-cookie.ts';
import { findSession } from '../session/sessions.ts';
import { signInBrowser } from '../session/sign-in-browser.ts';
import { upstreamStartUrl } from '../upstream/upstream-routes.ts';
import { clearSignInCookie, signInCsrfToken, signInCsrfValid, withdrawToken } from './account-csrf.ts';

const signInForm = z.object({
  csrf_token: z.string().max(256).optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
});
const withdrawForm = z.object({
  csrf_token: z.string().max(256).optional(),
  client_id: z.string().min(1).max(2048),
  resource: z.string().min(1).max(2048),
});
const accountQuery = z.object({ withdrawn: z.string().max(2048).optional() });

const PAGE_NAME = 'your connected apps';

/**
 * The "connected apps" page: `/account` (the address to give people) and the page itself under
 * `/oauth/account`, where the remembered sign-in's cookie is sent (over plain http it is scoped to
 * /oauth). Signed in, it lists the person's grants, each with a button that withdraws it; signed
 * out, it asks for the password first and comes back.
 */
export function accountRoutes(deps: AuthzContext, throttle: LoginThrottle): Router {
  const router = strictRouter();
  const form: RequestHandler[] = [
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    rejectNul,
  ];
  const accountUrl = `${deps.config.issuer}/oauth/account`;
  const site = siteOf(deps.config.issuer);

  const signedIn = async (req: express.Request) => {
    const value = readSessionCookie(req, deps.config);
    const session = await findSession(deps.prisma, deps.config, value);
    return session && value ? { value, session } : undefined;
  };
  const showSignIn = (
    req: express.Request,
    res: express.Response,
    status: number,
    extra: { username?: string | undefined; error?: string } = {},
  ) => {
    const csrfToken = signInCsrfToken(req, res, deps.config);
    const page = loginPage({
      site,
      csrfToken,
      continueTo: { page: PAGE_NAME },
      action: `${accountUrl}/sign-in`,
      passwordForm: deps.config.passwordLogin,
      upstream: deps.upstream && {
        name: deps.upstream.settings.displayName,
        url: upstreamStartUrl(deps.config.issuer, null),
      },
      ...extra,
    });
    sendPage(res, status, page);
  };

  router.get('/account', (_req, res) => redirectTo(res, accountUrl));

  router.get('/oauth/account', rejectNul, async (req, res) => {
    const query = parseInput(accountQuery, req.query);
    const current = await signedIn(req);
    if (!current) return showSignIn(req, res, 200);
    const { userId } = current.session;
    const user = await deps.prisma.user.findUnique({ where: { id: userId } });
    if (!user) return showSignIn(req, res, 200);
    const grants = await listGrants(deps.prisma, { userId });
    const withdrawn = query.withdrawn
      ? await deps.prisma.oAuthClient.findUnique({ where: { id: query.withdrawn } })
      : null;
    const page = accountPage({
      site,
      username: user.username,
      csrfToken: withdrawToken(current.value),
      withdrawUrl: `${accountUrl}/withdraw`,
      withdrawn: withdrawn ? (withdrawn.clientName ?? withdrawn.id) : undefined,
      apps: grants.map((g) => ({
        clientId: g.clientId,
        clientName: g.clientName ?? g.clientId,
        resource: g.resource,
        serverName: serverForResource(deps.config.policy, g.resource)?.name,
        scopes: g.scopes.map((name) => ({ name, description: describeScope(deps.config.policy, name) })),
        grantedAt: g.grantedAt,
        lastUsedAt: g.lastUsedAt,
      })),
    });
    sendPage(res, 200, page);
  });

  router.post('/oauth/account/sign-in', form, async (req: express.Request, res: express.Response) => {
    const input = parseInput(signInForm, req.body ?? {});
    if (!signInCsrfValid(req, input.csrf_token)) {
      throw csrfFailed(
        'the sign-in form is missing its security token or it does not match. Reload the page.',
      );
    }
    const outcome = await checkPassword(deps, throttle, {
      address: req.ip ?? 'unknown',
      username: input.username,
      password: input.password,
    });
    if (outcome.retryAfter !== undefined) res.set('Retry-After', String(outcome.retryAfter));
    if (!outcome.user) {
      const status = outcome.retryAfter !== undefined ? 429 : 401;
      return showSignIn(req, res, status, { username: input.username, error: outcome.error });
    }
    // As at the authorization's login: a new session id, never the one the browser held before.
    await signInBrowser(deps, req, res, outcome.user.id);
    clearSignInCookie(res, deps.config);
    redirectTo(res, accountUrl);
  });

  router.post('/oauth/account/withdraw', form, async (req: express.Request, res: express.Response) => {
    const input = parseInput(withdrawForm, req.body ?? {});
    const current = await signedIn(req);
    // Signed out meanwhile: nothing to withdraw for anyone; sign in and look again.
    if (!current) return redirectTo(res, accountUrl);
    const expected = withdrawToken(current.value);
    if (!input.csrf_token || !safeEqual(input.csrf_token, expected)) {
      throw csrfFailed('the form is missing its security token or it does not match. Reload the page.');
    }
    const { userId } = current.session;
    // Keyed by the signed-in person: a form naming someone else's grant finds nothing to withdraw.
    const key = { userId, clientId: input.client_id, resource: input.resource };
    const result = await withdrawGrant(deps, key);
    deps.logger.info({ userId, clientId: key.clientId, ...result }, 'grant withdrawn by its person');
    deps.audit.record({
      type: 'consent.withdrawn',
      outcome: 'success',
      actor: `user:${userId}`,
      userId,
      clientId: key.clientId,
      address: req.ip,
      detail: { resource: key.resource, via: 'account', ...result },
    });
    redirectTo(res, `${accountUrl}?withdrawn=${encodeURIComponent(key.clientId)}`);
  });

  return router;
}
