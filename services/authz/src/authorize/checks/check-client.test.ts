import type { OAuthClient } from '@mcp-auth/core';
import { describe, expect, it } from 'vitest';
import { MetadataDocumentError } from '../../clients/metadata-document.ts';
import { checkClient } from './check-client.ts';

const client: OAuthClient = {
  id: 'client-1',
  secretHash: null,
  secretExpiresAt: null,
  registrationAccessTokenHash: null,
  tokenEndpointAuthMethod: 'none',
  redirectUris: ['http://127.0.0.1/callback'],
  grantTypes: ['authorization_code'],
  responseTypes: ['code'],
  clientName: 'Test',
  scope: null,
  metadata: {},
  jwks: null,
  jwksUri: null,
  metadataDocument: false,
  createdAt: new Date(),
  updatedAt: new Date(),
  lastUsedAt: null,
  registrationKey: null,
  introspectionResource: null,
};
const lookups: string[] = [];
const findClient = {
  find: async (id: string) => {
    lookups.push(id);
    if (id === 'https://app.example/broken.json') throw new MetadataDocumentError('it answered 404, not 200');
    return id === client.id ? client : null;
  },
};

describe('checkClient', () => {
  it('returns the registered client', async () => {
    await expect(checkClient({ client_id: 'client-1' }, findClient)).resolves.toBe(client);
  });

  it('refuses an unknown client with invalid_client (status 400: shown as a page)', async () => {
    await expect(checkClient({ client_id: 'nope' }, findClient)).rejects.toMatchObject({
      error: 'invalid_client',
      status: 400,
    });
  });

  it('refuses a metadata-document client whose document is not usable, saying why', async () => {
    await expect(
      checkClient({ client_id: 'https://app.example/broken.json' }, findClient),
    ).rejects.toMatchObject({
      error: 'invalid_client',
      status: 400,
      description: expect.stringMatching(/metadata document cannot be used: it answered 404/),
    });
  });

  it('requires client_id', async () => {
    await expect(checkClient({}, findClient)).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a repeated client_id', async () => {
    await expect(checkClient({ client_id: ['client-1', 'client-1'] }, findClient)).rejects.toMatchObject({
      error: 'invalid_request',
    });
  });

  it('does not look up absurdly long ids', async () => {
    lookups.length = 0;
    await expect(checkClient({ client_id: 'x'.repeat(1000) }, findClient)).rejects.toMatchObject({
      error: 'invalid_client',
    });
    expect(lookups).toEqual([]);
  });
});
