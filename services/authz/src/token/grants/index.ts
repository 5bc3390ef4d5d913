import { authorizationCodeGrant } from './authorization-code.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import type { GrantHandler } from './grant.ts';
import { refreshTokenGrant } from './refresh-token.ts';

/** A Map, so that a grant_type such as "constructor" finds nothing. */
export const GRANTS: ReadonlyMap<string, GrantHandler> = new Map([
  ['authorization_code', authorizationCodeGrant],
  ['refresh_token', refreshTokenGrant],
  ['client_credentials', clientCredentialsGrant],
]);

export const SUPPORTED_GRANT_TYPES: readonly string[] = [...GRANTS.keys()];
