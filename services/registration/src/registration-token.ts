import type { Request } from 'express';
import { matchesSha256, OAuthError, sha256, type OAuthClient, type PrismaClient } from '@mcp-auth/core';

// RFC 6750 §2.1 b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const LONGEST_CLIENT_ID = 200;

/**
 * RFC 7592 §2: the client configuration endpoint is protected by the registration access token.
 * Unknown client and wrong token answer the same 401 (RFC 7592 §2.1: do not reveal which), and
 * the hash comparison runs either way.
 */
export async function authorizeRegistration(
  prisma: PrismaClient,
  req: Request,
): Promise<{ client: OAuthClient; registrationAccessToken: string }> {
  const header = req.get('authorization');
  if (!header) {
    throw new OAuthError('invalid_token', 'a registration access token is required', 401, {
      'WWW-Authenticate': 'Bearer',
    });
  }
  const token = bearerToken(header);
  const clientId = String(req.params.client_id ?? '');
  const client =
    token && clientId.length <= LONGEST_CLIENT_ID
      ? await prisma.oAuthClient.findUnique({ where: { id: clientId } })
      : null;
  const expected = client?.registrationAccessTokenHash ?? sha256('');
  const matches = matchesSha256(token ?? '', expected);
  if (!client || !token || !client.registrationAccessTokenHash || !matches) throw invalidRegistrationToken();
  return { client, registrationAccessToken: token };
}

/** The token of an `Authorization: Bearer` header, or undefined when it is not one. */
export const bearerToken = (header: string): string | undefined => BEARER.exec(header)?.[1];

export const invalidRegistrationToken = () =>
  new OAuthError('invalid_token', 'the registration access token is invalid for this client', 401, {
    'WWW-Authenticate': 'Bearer error="invalid_token"',
  });

/** Prisma's "record to update/delete does not exist": the client went away mid-request. */
export const isRecordGone = (err: unknown) => (err as { code?: unknown } | null)?.code === 'P2025';
