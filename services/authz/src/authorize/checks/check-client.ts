import { OAuthError, type OAuthClient } from '@mcp-auth/core';
import { single, type RawParams } from '../params.ts';

export type FindClient = (clientId: string) => Promise<OAuthClient | null>;

/**
 * client_id must name a registered client. Shown as a page, never redirected: without a known
 * client there is no redirect URI we may trust (RFC 6749 §4.1.2.1).
 */
export async function checkClient(params: RawParams, findClient: FindClient): Promise<OAuthClient> {
  const clientId = single(params, 'client_id');
  if (!clientId) throw new OAuthError('invalid_request', 'client_id is required');
  const client = clientId.length <= 256 ? await findClient(clientId) : null;
  if (!client) throw new OAuthError('invalid_client', 'The app that sent you here is not registered.');
  return client;
}
