/**
 * What a client may register (registration service) is what the authorization server implements
 * and advertises (RFC 8414 metadata): one list each, shared by both.
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
/** The methods built on a secret we issue (everything else has none: public or key-based clients). */
export const SECRET_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const RESPONSE_TYPES = ['code'] as const;

export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export const usesClientSecret = (method: string): boolean =>
  (SECRET_AUTH_METHODS as readonly string[]).includes(method);
export type GrantType = (typeof GRANT_TYPES)[number];
export type ResponseType = (typeof RESPONSE_TYPES)[number];
