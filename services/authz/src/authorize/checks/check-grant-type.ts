import { unauthorizedClient, type OAuthClient } from '@mcp-auth/core';

/** A client registered for other grants only (e.g. client_credentials) may not use this flow. */
export function checkGrantType(client: Pick<OAuthClient, 'grantTypes'>): void {
  if (!client.grantTypes.includes('authorization_code')) {
    throw unauthorizedClient('this app is not registered for the authorization_code grant');
  }
}
