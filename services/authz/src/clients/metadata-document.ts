import { OAuthError, type Policy, type TokenEndpointAuthMethod } from '@mcp-auth/core';
import { validateClientMetadata, type ClientMetadata } from '@mcp-auth/registration/client-metadata';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; the MCP
 * authorization spec's preferred way for a client to identify itself): the client_id is an https
 * URL, and the document there is the client's metadata.
 */

/** Why a metadata-document client cannot be used; shown to the person or the client. */
export class MetadataDocumentError extends Error {
  override name = 'MetadataDocumentError';
}

/**
 * Our own client ids are random tokens and never start with "https://" (the draft's advice for
 * servers that support both), so this prefix alone marks a metadata-document client id.
 */
export const isMetadataDocumentClientId = (clientId: string): boolean => clientId.startsWith('https://');

/** The draft's rules for the URL (§3), checked before anything is fetched. */
export function checkMetadataDocumentUrl(clientId: string): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new MetadataDocumentError('the client_id is not a valid URL');
  }
  if (url.username || url.password)
    throw new MetadataDocumentError('the client_id URL must not contain user information');
  if (url.hash || clientId.includes('#'))
    throw new MetadataDocumentError('the client_id URL must not contain a fragment');
  if (url.pathname === '/') throw new MetadataDocumentError('the client_id URL must have a path');
  // The document must repeat the client_id by simple string comparison, so the URL must already be
  // in the form the parser gives it: this refuses dot segments, odd spellings of the host
  // (uppercase, numeric forms such as 2130706433) and an explicit default port.
  if (url.href !== clientId) {
    throw new MetadataDocumentError(
      'the client_id URL must be in canonical form (no dot segments, lowercase host, no default port)',
    );
  }
  return url;
}

/** Methods a document may name: there is no shared secret with such a client (draft §4.1). */
const DOCUMENT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['none', 'private_key_jwt'];

/**
 * Checks a fetched document and returns the client's metadata: the same RFC 7591 rules as a
 * registration (redirect URIs, grant types, keys, scopes trimmed to the operator's policy…), plus the
 * draft's own rules.
 */
export function validateMetadataDocument(
  clientId: string,
  document: unknown,
  policy: Pick<Policy, 'scopes'>,
): ClientMetadata {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new MetadataDocumentError('the document is not a JSON object');
  }
  const doc = document as Record<string, unknown>;
  if (doc.client_id !== clientId) {
    throw new MetadataDocumentError("the document's client_id must be exactly its own URL");
  }
  if ('client_secret' in doc || 'client_secret_expires_at' in doc) {
    throw new MetadataDocumentError(
      'the document must not contain client_secret or client_secret_expires_at',
    );
  }
  // Absent means "none" here: RFC 7591's default (client_secret_basic) is impossible for a document.
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (!DOCUMENT_AUTH_METHODS.includes(method as TokenEndpointAuthMethod)) {
    throw new MetadataDocumentError(
      `token_endpoint_auth_method must be none or private_key_jwt (a document cannot carry a shared secret), not ${JSON.stringify(method)}`,
    );
  }
  let metadata: ClientMetadata;
  try {
    metadata = validateClientMetadata({ ...doc, token_endpoint_auth_method: method }, policy);
  } catch (err) {
    if (err instanceof OAuthError) throw new MetadataDocumentError(err.description);
    throw err;
  }
  // Registration lets only the operator create client_credentials clients; a document must not
  // be a way around that.
  if (metadata.grant_types.includes('client_credentials')) {
    throw new MetadataDocumentError(
      'grant_types: client_credentials is not available to metadata-document clients',
    );
  }
  return metadata;
}
