import { invalidClientMetadata } from '@mcp-auth/core';
import type { ClientJwks, GrantType, ResponseType, TokenEndpointAuthMethod } from '@mcp-auth/core';

/**
 * RFC 7591 §2 defaults: grant_types ["authorization_code"], response_types ["code"]. The
 * response_types default follows the grants, so a client that registers only client_credentials
 * is not made inconsistent by a default it never asked for.
 */
export function grantDefaults(
  grantTypes: GrantType[] | undefined,
  responseTypes: ResponseType[] | undefined,
): { grantTypes: GrantType[]; responseTypes: ResponseType[] } {
  const grants = grantTypes ?? ['authorization_code'];
  return {
    grantTypes: grants,
    responseTypes: responseTypes ?? (grants.includes('authorization_code') ? ['code'] : []),
  };
}

/** RFC 7591 §2.1: the authorization_code grant goes with response type "code", and only with it. */
export function checkGrantResponseConsistency(
  grantTypes: readonly string[],
  responseTypes: readonly string[],
): void {
  const code = grantTypes.includes('authorization_code');
  if (code && !responseTypes.includes('code')) {
    throw invalidClientMetadata('response_types: "code" is required with the authorization_code grant');
  }
  if (!code && responseTypes.includes('code')) {
    throw invalidClientMetadata('grant_types: "authorization_code" is required with response type "code"');
  }
}

/**
 * Refresh tokens come only from the authorization_code grant here (OAuth 2.1 §4.2.3: client
 * credentials do not get one), so refresh_token alone could never be used.
 */
export function checkRefreshTokenHasSource(grantTypes: readonly string[]): void {
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
    throw invalidClientMetadata('grant_types: refresh_token requires authorization_code');
  }
}

/**
 * RFC 6749 §4.4: the client credentials grant MUST only be used by confidential clients; a public
 * client (auth method "none") has nothing to authenticate with.
 */
export function checkClientCredentialsIsConfidential(
  grantTypes: readonly string[],
  authMethod: TokenEndpointAuthMethod,
): void {
  if (grantTypes.includes('client_credentials') && authMethod === 'none') {
    throw invalidClientMetadata(
      'grant_types: client_credentials requires a confidential client (token_endpoint_auth_method other than none)',
    );
  }
}

/**
 * private_key_jwt (RFC 7523 §2.2) needs the client's public keys: exactly one of `jwks` and
 * `jwks_uri` (RFC 7591 §2 forbids both). Other methods never read keys, so keys sent with them
 * are refused rather than stored unused, which would suggest they protect something.
 */
export function checkClientKeys(
  authMethod: TokenEndpointAuthMethod,
  keys: { jwks?: ClientJwks | undefined; jwksUri?: string | undefined },
): void {
  const given = Number(keys.jwks !== undefined) + Number(keys.jwksUri !== undefined);
  if (authMethod === 'private_key_jwt') {
    if (given !== 1) {
      throw invalidClientMetadata('private_key_jwt requires exactly one of jwks and jwks_uri');
    }
    return;
  }
  if (given > 0) {
    throw invalidClientMetadata(
      'jwks and jwks_uri are used only with token_endpoint_auth_method private_key_jwt',
    );
  }
}
