import type { RequestHandler, Response } from 'express';
import {
  invalidRequest,
  isLoopbackHost,
  OAuthError,
  randomToken,
  sha256,
  type OAuthClient,
  type Policy,
} from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { readSessionCookie } from '../session/session-cookie.ts';
import { findSession } from '../session/sessions.ts';
import { setBindingCookie } from './binding-cookie.ts';
import { checkClient } from './checks/check-client.ts';
import { checkGrantType } from './checks/check-grant-type.ts';
import { checkPkce } from './checks/check-pkce.ts';
import { checkPrompt, needsFreshLogin } from './checks/check-prompt.ts';
import { checkRedirectUri } from './checks/check-redirect-uri.ts';
import { checkResource } from './checks/check-resource.ts';
import { checkResponseType } from './checks/check-response-type.ts';
import { checkScope } from './checks/check-scope.ts';
import { issueCode } from './issue-code.ts';
import { readParams, single, type RawParams } from './params.ts';
import { errorResponseUrl, redirectTo } from './redirect.ts';
import { consentNeeded } from './remembered-consent.ts';

// Bounds the row each anonymous request creates; real clients send 32–64 random characters.
const MAX_STATE_LENGTH = 1024;

/**
 * `GET|POST /oauth/authorize` (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1). Validates the request step by
 * step; then, with a remembered sign-in that needs no new consent, answers with a code at once.
 * Otherwise it stores the request, binds it to this browser, and sends the person to the login
 * page, or straight to the consent page when they are signed in already.
 */
export function authorizationEndpoint(deps: AuthzContext): RequestHandler {
  const { config, prisma } = deps;

  return async (req, res) => {
    const params = readParams(req.method === 'GET' ? req.query : req.body);

    // Until the client and its redirect URI are established, errors are thrown to the page
    // error handler: redirecting to an unverified URI would make us an open redirector.
    const client = await checkClient(params, deps.clients);
    const redirectUri = checkRedirectUri(client, params);

    let state: string | undefined;
    let validated: ReturnType<typeof checkRequest>;
    try {
      state = single(params, 'state');
      if (state !== undefined && state.length > MAX_STATE_LENGTH) {
        state = undefined;
        throw invalidRequest(`state must be at most ${MAX_STATE_LENGTH} characters`);
      }
      validated = checkRequest(params, client, config.policy);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      deps.logger.info({ clientId: client.id, error: err.error }, err.description);
      // RFC 9700 §4.11.2: anyone can register a client, so redirecting errors before the person has
      // even logged in would make us an open redirector to any site. Only loopback redirect URIs
      // (the person's own machine: native apps, the CLI) get the error sent back at once.
      if (!isLoopbackHost(new URL(redirectUri).hostname)) throw err;
      return redirectTo(res, errorResponseUrl(redirectUri, err, state, config.issuer));
    }
    const { prompt, ...checked } = validated;
    const request = { ...checked, clientId: client.id, redirectUri, state: state ?? null };
    // prompt=none is how a client asks "can I get a code without bothering the person?": the
    // answer goes back to it whatever it is, as OIDC Core §3.1.2.6 requires.
    const answerError = (error: string, description: string) =>
      redirectTo(res, errorResponseUrl(redirectUri, { error, description }, state, config.issuer));

    const now = new Date();
    const session = await findSession(prisma, config, readSessionCookie(req, config), now);
    const signedIn = session && !needsFreshLogin(prompt, session.authTime, now) ? session : undefined;
    if (signedIn) {
      const key = { userId: signedIn.userId, clientId: client.id, resource: checked.resource };
      const forceConsent = prompt.consent;
      if (!(await consentNeeded(prisma, { client, ...request, forceConsent }, key))) {
        deps.logger.info(
          { clientId: client.id, userId: signedIn.userId },
          'authorized by remembered sign-in',
        );
        return redirectTo(res, await issueCode(deps, request, signedIn, now));
      }
      if (prompt.none) return answerError('consent_required', 'The user has not consented to this request');
    } else if (prompt.none) {
      return answerError('login_required', 'The user is not signed in');
    }

    const id = randomToken();
    const binding = randomToken();
    await deps.requests.store({
      id,
      ...request,
      bindingHash: sha256(binding),
      csrfToken: randomToken(),
      userId: signedIn?.userId ?? null,
      authTime: signedIn?.authTime ?? null,
      forceConsent: prompt.consent,
      expiresAt: new Date(now.getTime() + config.authRequestTtl * 1000),
    });
    setBindingCookie(res, binding, config);
    sendToPage(res, config.issuer, signedIn ? 'consent' : 'login', id);
  };
}

const sendToPage = (res: Response, issuer: string, page: 'login' | 'consent', id: string) =>
  redirectTo(res, `${issuer}/oauth/${page}?request=${encodeURIComponent(id)}`);

/** The checks whose failures may be reported to the (now trusted) redirect URI. */
function checkRequest(params: RawParams, client: OAuthClient, policy: Policy) {
  checkResponseType(params);
  const pkce = checkPkce(params);
  checkGrantType(client);
  const server = checkResource(params, policy);
  const scopes = checkScope(params, policy, server);
  const prompt = checkPrompt(params);
  return { ...pkce, scopes, resource: server.resource, prompt };
}
