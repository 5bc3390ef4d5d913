import { OAuthError, type OAuthClient } from '@mcp-auth/core';
import type { ClientDirectory } from '../../clients/directory.ts';
import { MetadataDocumentError } from '../../clients/metadata-document.ts';
import { single, type RawParams } from '../params.ts';

// Registered ids are short tokens; a metadata document URL is recommended to be short too.
const MAX_CLIENT_ID_LENGTH = 512;

/**
 * client_id must name a registered client, or be the URL of a usable Client ID Metadata Document.
 * Shown as a page, never redirected: without a known client there is no redirect URI we may
 * trust (RFC 6749 §4.1.2.1).
 */
export async function checkClient(
  params: RawParams,
  clients: Pick<ClientDirectory, 'find'>,
): Promise<OAuthClient> {
  const clientId = single(params, 'client_id');
  if (!clientId) throw new OAuthError('invalid_request', 'client_id is required');
  let client: OAuthClient | null;
  try {
    client = clientId.length <= MAX_CLIENT_ID_LENGTH ? await clients.find(clientId) : null;
  } catch (err) {
    if (!(err instanceof MetadataDocumentError)) throw err;
    throw new OAuthError(
      'invalid_client',
      `The app's client metadata document cannot be used: ${err.message}.`,
    );
  }
  if (!client) throw new OAuthError('invalid_client', 'The app that sent you here is not registered.');
  return client;
}
