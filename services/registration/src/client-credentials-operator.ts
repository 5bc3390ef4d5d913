import { invalidClientMetadata, OAuthError, safeEqual } from '@mcp-auth/core';
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
  if (!authorization) {
    throw new OAuthError(
      'invalid_token',
      'registering a client_credentials client requires the initial access token',
      401,
      { 'WWW-Authenticate': 'Bearer' },
    );
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
 * operator registered it) but not add it.
 */
export function requireOperatorForClientCredentialsUpdate(
  grantTypes: readonly string[],
  registeredGrantTypes: readonly string[],
  initialAccessToken: string | undefined,
): void {
  if (!grantTypes.includes('client_credentials')) return;
  if (initialAccessToken === undefined || !registeredGrantTypes.includes('client_credentials')) {
    throw operatorRegistrationRequired();
  }
}

const operatorRegistrationRequired = () =>
  invalidClientMetadata(
    'grant_types: client_credentials needs operator registration with an initial access token',
  );
