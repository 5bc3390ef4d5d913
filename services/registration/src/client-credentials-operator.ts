import { formatScope, invalidClientMetadata, OAuthError, parseScope, safeEqual } from '@mcp-auth/core';
import { bearerToken } from './registration-token.ts';

/**
 * A client_credentials client gets tokens with no person consenting, so only the operator may
 * create one: registering it needs the configured initial access token as a bearer token (RFC 7591
 * §3). Open registration of authorization_code clients, which is what MCP clients do, stays open.
 * Without a configured token, no client_credentials client can be registered at all.
 */
export function requireOperatorForClientCredentials(
  grantTypes: readonly string[],
  authorization: string | undefined,
  initialAccessToken: string | undefined,
): void {
  if (!grantTypes.includes('client_credentials')) return;
  if (initialAccessToken === undefined) throw operatorRegistrationRequired();
  requireInitialAccessToken(authorization, initialAccessToken, 'a client_credentials client');
}

/** The request carries the operator's initial access token (RFC 7591 §3), or is refused with 401. */
export function requireInitialAccessToken(
  authorization: string | undefined,
  initialAccessToken: string,
  what: string,
): void {
  if (!authorization) {
    throw new OAuthError('invalid_token', `registering ${what} requires the initial access token`, 401, {
      'WWW-Authenticate': 'Bearer',
    });
  }
  if (!safeEqual(bearerToken(authorization) ?? '', initialAccessToken)) {
    throw new OAuthError('invalid_token', 'the initial access token is invalid', 401, {
      'WWW-Authenticate': 'Bearer error="invalid_token"',
    });
  }
}

/**
 * RFC 7592 §2.2 authenticates an update with the registration access token, so an update cannot
 * carry the initial access token: it may keep client_credentials on a client that has it (the
 * operator registered it) but not add it, and it may not widen that client's scope, which for a
 * grant with no person in it is the whole of what the operator allowed. A client with no
 * registered scope has the policy's `defaultScope`, at the token endpoint as here.
 */
export function requireOperatorForClientCredentialsUpdate(
  update: { grantTypes: readonly string[]; scope: string | undefined },
  registered: { grantTypes: readonly string[]; scope: string | null },
  initialAccessToken: string | undefined,
  defaultScope: readonly string[],
): void {
  if (!update.grantTypes.includes('client_credentials')) return;
  if (initialAccessToken === undefined || !registered.grantTypes.includes('client_credentials')) {
    throw operatorRegistrationRequired();
  }
  const allowed = registered.scope === null ? defaultScope : parseScope(registered.scope);
  const wider = parseScope(update.scope ?? formatScope(defaultScope)).filter((s) => !allowed.includes(s));
  if (wider.length > 0) {
    throw invalidClientMetadata(
      `scope: a client_credentials client cannot add ${wider.join(' ')} itself; the operator registers it`,
    );
  }
}

const operatorRegistrationRequired = () =>
  invalidClientMetadata(
    'grant_types: client_credentials needs operator registration with an initial access token',
  );
