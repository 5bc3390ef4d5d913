import {
  invalidClient,
  invalidRequest,
  safeEqual,
  sha256,
  type OAuthClient,
  type PrismaClient,
  type TokenEndpointAuthMethod,
} from '@mcp-auth/core';
import { parseBasicAuthorization } from './basic.ts';

/** What a request to the token, revocation or introspection endpoint carries. */
export interface ClientAuthRequest {
  authorization?: string | undefined;
  /** Form parameters, each present at most once (see token/form.ts). */
  params: Readonly<Record<string, string>>;
}

export interface PresentedCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  clientSecret?: string;
  /** A failure must then carry a Basic challenge (RFC 6749 §5.2). */
  usedBasic: boolean;
}

/**
 * Which method the request uses. Exactly one is allowed (RFC 6749 §2.3): a secret both in the
 * header and in the body is refused rather than guessing which one counts.
 */
export function presentedCredentials(req: ClientAuthRequest): PresentedCredentials {
  const { client_id: bodyId, client_secret: bodySecret } = req.params;
  if (req.authorization !== undefined) {
    const basic = parseBasicAuthorization(req.authorization);
    if (bodySecret !== undefined) {
      throw invalidRequest('use one client authentication method: Basic or client_secret, not both');
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalidRequest('client_id does not match the Basic credentials');
    }
    return { method: 'client_secret_basic', ...basic, usedBasic: true };
  }
  if (bodySecret !== undefined) {
    if (bodyId === undefined) throw invalidRequest('client_id is required with client_secret');
    return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret, usedBasic: false };
  }
  if (bodyId !== undefined) return { method: 'none', clientId: bodyId, usedBasic: false };
  throw invalidClient('client authentication required');
}

/**
 * Authenticates the client by its registered token_endpoint_auth_method. Reused by every
 * endpoint that authenticates clients (token, revocation, introspection).
 */
export async function authenticateClient(
  prisma: PrismaClient,
  req: ClientAuthRequest,
  now = new Date(),
): Promise<OAuthClient> {
  const presented = presentedCredentials(req);
  const fail = (d: string) => invalidClient(d, presented.usedBasic);
  const client = await prisma.oAuthClient.findUnique({ where: { id: presented.clientId } });
  if (!client) throw fail('unknown client');
  if (client.tokenEndpointAuthMethod !== presented.method) {
    // A confidential client sending no secret must not be treated as public.
    throw fail(`client must authenticate with ${client.tokenEndpointAuthMethod}`);
  }
  if (presented.method === 'none') return client;
  if (
    !client.secretHash ||
    presented.clientSecret === undefined ||
    !safeEqual(sha256(presented.clientSecret), client.secretHash)
  ) {
    throw fail('invalid client credentials');
  }
  if (client.secretExpiresAt && client.secretExpiresAt <= now) throw fail('client secret expired');
  return client;
}
