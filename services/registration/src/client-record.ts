import { Prisma, type OAuthClient } from '@mcp-auth/core';
import type { ClientMetadata } from './metadata/schema.ts';

/**
 * The OAuthClient columns that follow from registered metadata. The columns are what the
 * authorization server reads; `metadata` keeps the whole registration for RFC 7592 reads,
 * including the operator-granted `introspection_resource` (see introspection-resource.ts), which
 * client metadata documents never set.
 */
export const metadataColumns = (metadata: ClientMetadata, introspectionResource: string | null = null) => ({
  tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
  redirectUris: metadata.redirect_uris,
  grantTypes: metadata.grant_types,
  responseTypes: metadata.response_types,
  clientName: metadata.client_name ?? null,
  scope: metadata.scope ?? null,
  jwks: metadata.jwks ? (metadata.jwks as unknown as Prisma.InputJsonObject) : Prisma.DbNull,
  jwksUri: metadata.jwks_uri ?? null,
  metadata: (introspectionResource === null
    ? metadata
    : { ...metadata, introspection_resource: introspectionResource }) as unknown as Prisma.InputJsonObject,
  introspectionResource,
});

export const registrationClientUri = (issuer: string, clientId: string) =>
  `${issuer}/oauth/register/${encodeURIComponent(clientId)}`;

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** RFC 7591 §3.2.1: 0 means the secret never expires. */
export const secretExpiresAt = (client: Pick<OAuthClient, 'secretExpiresAt'>) =>
  client.secretExpiresAt ? epochSeconds(client.secretExpiresAt) : 0;

/**
 * The client information response (RFC 7591 §3.2.1, RFC 7592 §3). The secret appears only when
 * it was just issued: we keep its hash, not the secret.
 */
export function clientInformation(
  client: OAuthClient,
  issuer: string,
  credentials: { registrationAccessToken: string; clientSecret?: string },
): Record<string, unknown> {
  return {
    ...(client.metadata as unknown as ClientMetadata),
    client_id: client.id,
    ...(credentials.clientSecret !== undefined && { client_secret: credentials.clientSecret }),
    client_id_issued_at: epochSeconds(client.createdAt),
    ...(client.secretHash !== null && { client_secret_expires_at: secretExpiresAt(client) }),
    registration_access_token: credentials.registrationAccessToken,
    registration_client_uri: registrationClientUri(issuer, client.id),
  };
}

/** What the audit log keeps of a client's metadata: enough to see what changed, no secrets. */
export const auditedMetadata = (metadata: ClientMetadata) => ({
  clientName: metadata.client_name,
  redirectUris: metadata.redirect_uris,
  grantTypes: metadata.grant_types,
  tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
  scope: metadata.scope,
});
