import type { Request, Response, Router } from 'express';
import * as oidc from 'openid-client';
import { OAuthError, rejectNul, safeEqual, strictRouter, type User } from '@mcp-auth/core';
import { finishSignIn } from '../authorize/finish-sign-in.ts';
import { checkBinding, loadFlow, siteOf } from '../authorize/flow.ts';
import { redirectTo } from '../authorize/redirect.ts';
import type { AuthzContext } from '../deps.ts';
import { signInBrowser } from '../session/sign-in-browser.ts';
import { refusal } from './admission.ts';
import { linkedUser } from './link-user.ts';
import { clearUpstreamCookie, readUpstreamCookie, setUpstreamCookie } from './sign-in-cookie.ts';
import { upstreamUnavailable, type UpstreamClient } from './upstream-client.ts';

const UPSTREAM_START_PATH = '/oauth/upstream/start';
const CALLBACK_PATH = '/oauth/upstream/callback';

/** Where the login pages' "Continue with …" link goes, for an authorization request or the account page. */
export const upstreamStartUrl = (issuer: string, request: string | null) =>
  `${issuer}${UPSTREAM_START_PATH}?${request === null ? 'then=account' : `request=${encodeURIComponent(request)}`}`;

const notStartedHere = () =>
  new OAuthError(
    'invalid_request',
    'This sign-in answer does not match a sign-in started in this browser (state mismatch), or it took too long. Start again.',
  );

/**
 * Signing in through the upstream OpenID Connect provider, with openid-client doing the protocol:
 * discovery, the authorization request with PKCE (S256), state and nonce, the code exchange, and
 * the ID token's checks (issuer, audience, expiry, nonce). Our part is only to map the verified
 * claims to a user: admit them by the configured rules, link by `iss` + `sub`, then go on as after
 * a password.
 */
export function upstreamRoutes(deps: AuthzContext, client: UpstreamClient): Router {
  const router = strictRouter();
  const { settings } = client;
  const callbackUrl = `${deps.config.issuer}${CALLBACK_PATH}`;

  router.get(UPSTREAM_START_PATH, rejectNul, async (req: Request, res: Response) => {
    let request: string | null = null;
    if (req.query.then !== 'account') {
      const flow = await loadFlow(deps, req.query.request);
      checkBinding(req, flow);
      request = flow.id;
    }
    const configuration = await client.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: callbackUrl,
      scope: settings.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    setUpstreamCookie(res, { request, state, nonce, verifier }, deps.config);
    redirectTo(res, url.href);
  });

  router.get(CALLBACK_PATH, rejectNul, async (req: Request, res: Response) => {
    const started = readUpstreamCookie(req);
    // Cleared whatever happens next: one answer per sign-in started.
    clearUpstreamCookie(res, deps.config);
    const answer = new URL(callbackUrl);
    answer.search = new URL(req.originalUrl, 'http://callback.invalid').search;
    const state = answer.searchParams.get('state');
    if (!started || !state || !safeEqual(state, started.state)) throw notStartedHere();
    const flow = started.request === null ? null : await loadFlow(deps, started.request);
    if (flow) checkBinding(req, flow);

    const address = req.ip ?? 'unknown';
    const failed = (why: string, err?: OAuthError) => {
      deps.logger.info({ clientId: flow?.clientId, address, why }, 'upstream login failed');
      deps.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        address,
        clientId: flow?.clientId,
        detail: { method: 'oidc', issuer: settings.issuer, reason: why },
      });
      return err;
    };

    const configuration = await client.configuration();
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, answer, {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw failed(...classify(err, settings.displayName));
    }

    const why = refusal(settings, claims);
    if (why) {
      throw failed(
        why,
        new OAuthError(
          'access_denied',
          `Your ${settings.displayName} account is not allowed to sign in here (${why}). Ask the operator of ${siteOf(deps.config.issuer)} for access.`,
          403,
        ),
      );
    }
    const user: User = await linkedUser(deps.prisma, settings.issuer, claims);
    if (user.disabledAt) {
      // Refused as at the password form: an operator disabled this user here, whatever the provider says.
      throw failed(
        'disabled',
        new OAuthError('access_denied', 'This account is disabled here. Ask the operator for access.', 403),
      );
    }
    deps.logger.info({ userId: user.id, clientId: flow?.clientId }, 'upstream login succeeded');
    deps.audit.record({
      type: 'login.succeeded',
      outcome: 'success',
      actor: `user:${user.id}`,
      userId: user.id,
      address,
      clientId: flow?.clientId,
      detail: { method: 'oidc', issuer: settings.issuer },
    });
    if (flow) return finishSignIn(deps, req, res, flow, user);
    await signInBrowser(deps, req, res, user.id);
    redirectTo(res, `${deps.config.issuer}/oauth/account`);
  });

  return router;
}

/** What went wrong at the provider, as a reason for the log and the error for the person. */
function classify(err: unknown, name: string): [string, OAuthError] {
  if (err instanceof oidc.AuthorizationResponseError) {
    // The provider answered with an error (the person cancelled, or it refused them).
    const text = err.error_description ? `: ${err.error_description}` : '';
    return [
      `provider answered ${err.error}`,
      new OAuthError('access_denied', `${name} did not sign you in${text}.`, 403),
    ];
  }
  if (err instanceof oidc.ResponseBodyError) {
    return [
      `token endpoint answered ${err.error}`,
      new OAuthError(
        'access_denied',
        `${name} refused to complete the sign-in (${err.error}). Start again.`,
        403,
      ),
    ];
  }
  const code = err instanceof oidc.ClientError ? err.code : undefined;
  if (err instanceof TypeError || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
    // fetch failed or timed out: the provider is down or unreachable.
    return ['provider unreachable', upstreamUnavailable(name)];
  }
  // openid-client wraps the failed check; its cause says which (e.g. the ID token's nonce claim).
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const detail = inner instanceof Error ? inner.message : String(err);
  return [
    `ID token or answer rejected: ${detail}${code ? ` (${code})` : ''}`,
    new OAuthError(
      'invalid_token',
      `The answer from ${name} could not be verified (its ID token was not valid for this sign-in). Start again.`,
      401,
    ),
  ];
}
