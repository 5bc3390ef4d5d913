import { z } from 'zod';
import {
  clientJwksSchema,
  GRANT_TYPES,
  RESPONSE_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type ClientJwks,
  type GrantType,
  type ResponseType,
  type TokenEndpointAuthMethod,
} from '@mcp-auth/core';

// Limits keep any single registration small (it is echoed on every read and loaded on every
// authorization request) without getting in the way of a real client.
export const LIMITS = {
  uri: 2000,
  redirectUris: 20,
  text: 200,
  scope: 1000,
  contact: 320,
  contacts: 10,
  listItems: 10,
} as const;

/** RFC 7591 §2 says to omit absent values, but some clients send null; treat it as absent. */
export const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

const uri = z.string().min(1).max(LIMITS.uri);
const text = z.string().trim().min(1).max(LIMITS.text);
const unique = <T>(values: T[]) => [...new Set(values)];

/**
 * The shape of RFC 7591 §2 client metadata: types and sizes only. The RFC rules between fields
 * live in their own modules (redirect-uris.ts, grant-types.ts, scope.ts, web-urls.ts).
 * z.object drops members we do not know, as RFC 7591 §2 asks ("ignore any client metadata it
 * does not understand"), so nothing unexpected is stored.
 */
export const clientMetadataSchema = z.object({
  redirect_uris: optional(z.array(uri).max(LIMITS.redirectUris).transform(unique)),
  token_endpoint_auth_method: optional(
    z.enum(TOKEN_ENDPOINT_AUTH_METHODS, {
      error: `unsupported; supported methods are ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
    }),
  ),
  grant_types: optional(
    z
      .array(
        z.enum(GRANT_TYPES, { error: `unsupported; supported grant types are ${GRANT_TYPES.join(', ')}` }),
      )
      .min(1)
      .max(LIMITS.listItems)
      .transform(unique),
  ),
  response_types: optional(
    z
      .array(
        z.enum(RESPONSE_TYPES, {
          error: `unsupported; supported response types are ${RESPONSE_TYPES.join(', ')}`,
        }),
      )
      .max(LIMITS.listItems)
      .transform(unique),
  ),
  scope: optional(z.string().max(LIMITS.scope)),
  client_name: optional(text),
  client_uri: optional(uri),
  logo_uri: optional(uri),
  tos_uri: optional(uri),
  policy_uri: optional(uri),
  contacts: optional(
    z.array(z.string().trim().min(1).max(LIMITS.contact)).max(LIMITS.contacts).transform(unique),
  ),
  software_id: optional(text),
  software_version: optional(text),
  // private_key_jwt (RFC 7523): the client's public keys, inline or by URL (RFC 7591 §2).
  jwks: optional(clientJwksSchema),
  jwks_uri: optional(uri),
});

export type ClientMetadataInput = z.output<typeof clientMetadataSchema>;

/** Registered metadata after defaults and checks: what is stored and echoed back. */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: GrantType[];
  response_types: ResponseType[];
  scope?: string;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  tos_uri?: string;
  policy_uri?: string;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
  jwks?: ClientJwks;
  jwks_uri?: string;
}
