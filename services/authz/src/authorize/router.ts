import express, { type Router } from 'express';
import { rejectNul, strictRouter } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { accountRoutes } from '../account/account-routes.ts';
import { authorizationEndpoint } from './authorization-endpoint.ts';
import { showConsent, submitConsent } from './consent.ts';
import { showLogin, submitLogin } from './login.ts';
import { LoginThrottle } from './login-throttle.ts';
import { pageErrorHandler } from './page-errors.ts';
import { upstreamRoutes } from '../upstream/upstream-routes.ts';
import { showLogout, submitLogout } from '../session/logout.ts';

/**
 * The browser side of the authorization code flow: `/oauth/authorize`, then the login and consent
 * pages, the sign-out page that ends the remembered sign-in, and the connected-apps page. Only these paths are answered; anything else falls through to the other apps.
 */
export function authorizeRouter(deps: AuthzContext): Router {
  const router = strictRouter();
  // Forms only, parsed only on these routes. `extended: false` keeps values flat (strings or
  // arrays of strings), which is what the parameter checks expect.
  const form = [express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }), rejectNul];

  const authorize = authorizationEndpoint(deps);
  router.get('/oauth/authorize', rejectNul, authorize);
  router.post('/oauth/authorize', form, authorize);
  router.get('/oauth/login', rejectNul, showLogin(deps));
  // One throttle for every password form, so that a second form does not double the guesses.
  const throttle = new LoginThrottle(deps.rateLimits);
  router.post('/oauth/login', form, submitLogin(deps, throttle));
  router.get('/oauth/consent', rejectNul, showConsent(deps));
  router.post('/oauth/consent', form, submitConsent(deps));
  router.get('/oauth/logout', rejectNul, showLogout(deps));
  router.post('/oauth/logout', form, submitLogout(deps));
  router.use(accountRoutes(deps, throttle));
  if (deps.upstream) router.use(upstreamRoutes(deps, deps.upstream));
  router.use(pageErrorHandler(deps));
  return router;
}
