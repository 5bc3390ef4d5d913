import type { RequestHandler } from 'express';
import {
  invalidRequest,
  isLoopbackHost,
  OAuthError,
  randomToken,
  sha256,
  type OAuthClient,
  type Policy,
} from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { setBindingCookie } from './binding-cookie.ts';
import { checkClient } from './checks/check-client.ts';
import { checkGrantType } from './checks/check-grant-type.ts';
import { checkPkce } from './checks/check-pkce.ts';
import { checkRedirectUri } from './checks/check-redirect-uri.ts';
import { checkResource } from './checks/check-resource.ts';
import { checkResponseType } from './checks/check-response-type.ts';
import { checkScope } from './checks/check-scope.ts';
import { readParams, single, type RawParams } from './params.ts';
import { authorizationResponseUrl, redirectTo } from './redirect.ts';

// Bounds the row each anonymous request creates; real clients send 32–64 random characters.
const MAX_STATE_LENGTH = 1024;

/**
 * `GET|POST /oauth/authorize` (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1). Validates the request step by
 * step, stores it, binds it to this browser, and sends the person to the login page.
 */
export function authorizationEndpoint(deps: AuthzDeps): RequestHandler {
  const { config, prisma } = deps;
  const findClient = (id: string) => prisma.oAuthClient.findUnique({ where: { id } });

  return async (req, res) => {
    const params = readParams(req.method === 'GET' ? req.query : req.body);

    // Until the client and its redirect URI are established, errors are thrown to the page
    // error handler: redirecting to an unverified URI would make us an open redirector.
    const client = await checkClient(params, findClient);
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
      return redirectTo(
        res,
        authorizationResponseUrl(redirectUri, {
          error: err.error,
          error_description: err.description,
          state,
          iss: config.issuer,
        }),
      );
    }

    const now = Date.now();
    const id = randomToken();
    const binding = randomToken();
    await prisma.authorizationRequest.create({
      data: {
        id,
        clientId: client.id,
        redirectUri,
        state: state ?? null,
        ...validated,
        bindingHash: sha256(binding),
        csrfToken: randomToken(),
        expiresAt: new Date(now + config.authRequestTtl * 1000),
      },
    });
    setBindingCookie(res, binding, config);
    redirectTo(res, `${config.issuer}/oauth/login?request=${encodeURIComponent(id)}`);
  };
}

/** The checks whose failures may be reported to the (now trusted) redirect URI. */
function checkRequest(params: RawParams, client: OAuthClient, policy: Policy) {
  checkResponseType(params);
  const pkce = checkPkce(params);
  checkGrantType(client);
  const server = checkResource(params, policy);
  const scopes = checkScope(params, policy, server);
  return { ...pkce, scopes, resource: server.resource };
}
