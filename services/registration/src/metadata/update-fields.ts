import { z } from 'zod';
import { invalidClientMetadata, parseInput, matchesSha256, type OAuthClient } from '@mcp-auth/core';
import { registrationClientUri, secretExpiresAt } from '../client-record.ts';
import { LIMITS, optional } from './schema.ts';

const updateFieldsSchema = z.object({
  client_id: z.string().max(LIMITS.text),
  client_secret: optional(z.string().max(LIMITS.text)),
  registration_access_token: optional(z.string().max(LIMITS.text)),
  registration_client_uri: optional(z.string().max(LIMITS.uri)),
  client_secret_expires_at: optional(z.number()),
  client_id_issued_at: optional(z.number()),
});

/**
 * RFC 7592 §2.2: an update names the client it updates (`client_id`, the same as issued), may
 * repeat its current `client_secret` but never choose a new one, and must not try to set the
 * fields only the server issues. A client that sends back the whole read response unchanged is
 * accepted: those values are equal to ours, so nothing is being set.
 */
export function checkUpdateFields(
  body: unknown,
  current: { client: OAuthClient; registrationAccessToken: string; issuer: string },
): void {
  const fields = parseInput(updateFieldsSchema, body, invalidClientMetadata);
  const { client } = current;
  if (fields.client_id !== client.id) {
    throw invalidClientMetadata('client_id: must be the client identifier being updated');
  }
  if (
    fields.client_secret !== undefined &&
    (client.secretHash === null || !matchesSha256(fields.client_secret, client.secretHash))
  ) {
    throw invalidClientMetadata(
      'client_secret: must be the currently issued secret; a client cannot choose its own',
    );
  }
  const serverIssued = {
    registration_access_token: current.registrationAccessToken,
    registration_client_uri: registrationClientUri(current.issuer, client.id),
    client_secret_expires_at: secretExpiresAt(client),
    client_id_issued_at: Math.floor(client.createdAt.getTime() / 1000),
  };
  for (const [field, value] of Object.entries(serverIssued)) {
    const sent = fields[field as keyof typeof serverIssued];
    if (sent !== undefined && sent !== value) {
      throw invalidClientMetadata(`${field}: is issued by the server and cannot be changed`);
    }
  }
}
