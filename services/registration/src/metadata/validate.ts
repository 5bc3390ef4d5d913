import { invalidClientMetadata, invalidRedirectUri, parseInput, type Policy } from '@mcp-auth/core';
import {
  checkClientCredentialsIsConfidential,
  checkGrantResponseConsistency,
  checkRefreshTokenHasSource,
  grantDefaults,
} from './grant-types.ts';
import { checkRedirectUris, checkRedirectUrisPresent } from './redirect-uris.ts';
import { clientMetadataSchema, type ClientMetadata } from './schema.ts';
import { normalizeScope } from './scope.ts';
import { checkWebUrl, WEB_URL_FIELDS } from './web-urls.ts';

/**
 * Client metadata from a registration (RFC 7591 §3.1) or update (RFC 7592 §2.2) request, checked
 * rule by rule and returned with defaults applied — the metadata as registered. Problems with
 * `redirect_uris` (including its absence) are `invalid_redirect_uri`, every other one
 * `invalid_client_metadata` (RFC 7591 §3.2.2). Scopes come from the operator's `policy`.
 */
export function validateClientMetadata(body: unknown, policy: Pick<Policy, 'scopes'>): ClientMetadata {
  const input = parseInput(clientMetadataSchema, body, (d) =>
    d.startsWith('redirect_uris') ? invalidRedirectUri(d) : invalidClientMetadata(d),
  );
  // RFC 7591 §2: the default when omitted is client_secret_basic.
  const authMethod = input.token_endpoint_auth_method ?? 'client_secret_basic';
  const { grantTypes, responseTypes } = grantDefaults(input.grant_types, input.response_types);
  const redirectUris = input.redirect_uris ?? [];

  checkGrantResponseConsistency(grantTypes, responseTypes);
  checkRefreshTokenHasSource(grantTypes);
  checkClientCredentialsIsConfidential(grantTypes, authMethod);
  checkRedirectUrisPresent(redirectUris, grantTypes);
  checkRedirectUris(redirectUris);
  for (const field of WEB_URL_FIELDS) {
    const value = input[field];
    if (value !== undefined) checkWebUrl(field, value);
  }
  const scope = normalizeScope(input.scope, policy);

  const metadata: ClientMetadata = {
    redirect_uris: redirectUris,
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: responseTypes,
  };
  // Only present values are kept, so the stored JSON and the echo carry no nulls.
  const optional = {
    scope,
    client_name: input.client_name,
    client_uri: input.client_uri,
    logo_uri: input.logo_uri,
    tos_uri: input.tos_uri,
    policy_uri: input.policy_uri,
    contacts: input.contacts?.length ? input.contacts : undefined,
    software_id: input.software_id,
    software_version: input.software_version,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(metadata, { [key]: value });
  }
  return metadata;
}

export const isConfidential = (metadata: Pick<ClientMetadata, 'token_endpoint_auth_method'>): boolean =>
  metadata.token_endpoint_auth_method !== 'none';
