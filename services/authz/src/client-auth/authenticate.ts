import {
  invalidClient,
  invalidRequest,
  matchesSha256,
  type OAuthClient,
  type TokenEndpointAuthMethod,
} from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { MetadataDocumentError } from '../clients/metadata-document.ts';
import { parseBasicAuthorization } from './basic.ts';
import { assertedClientId, assertionParams, verifyClientAssertion } from './client-assertion.ts';

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
  /** private_key_jwt: the signed client assertion (RFC 7523 §2.2). */
  assertion?: string;
  /** A failure must then carry a Basic challenge (RFC 6749 §5.2). */
  usedBasic: boolean;
}

/**
 * Which method the request uses. Exactly one is allowed (RFC 6749 §2.3): a secret both in the
 * header and in the body is refused rather than guessing which one counts.
 */
export function presentedCredentials(req: ClientAuthRequest): PresentedCredentials {
  const { client_id: bodyId, client_secret: bodySecret } = req.params;
  const assertion = assertionParams(req.params);
  if (assertion !== undefined) {
    if (req.authorization !== undefined || bodySecret !== undefined) {
      throw invalidRequest(
        'use one client authentication method: a client assertion, Basic or client_secret',
      );
    }
    const clientId = assertedClientId(assertion);
    // RFC 7521 §4.2: a client_id sent beside the assertion must name the same client.
    if (bodyId !== undefined && bodyId !== clientId) {
      throw invalidClient("client_id does not match the client assertion's sub");
    }
    return { method: 'private_key_jwt', clientId, assertion, usedBasic: false };
  }
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

export type ClientAuthContext = Pick<AuthzContext, 'prisma' | 'clients' | 'config'>;

/**
 * Authenticates the client by its registered token_endpoint_auth_method. Reused by every
 * endpoint that authenticates clients (token, revocation, introspection).
 */
export async function authenticateClient(
  ctx: ClientAuthContext,
  req: ClientAuthRequest,
  now = new Date(),
): Promise<OAuthClient> {
  const presented = presentedCredentials(req);
  const fail = (d: string) => invalidClient(d, presented.usedBasic);
  const client = await findClient(ctx, presented.clientId, fail);
  if (client.tokenEndpointAuthMethod !== presented.method) {
    // A confidential client sending no secret must not be treated as public.
    throw fail(`client must authenticate with ${client.tokenEndpointAuthMethod}`);
  }
  if (presented.method === 'none') return client;
  if (presented.method === 'private_key_jwt') {
    const { issuer } = ctx.config;
    // RFC 7523 §3: aud identifies the authorization server: its issuer, or the token endpoint.
    const audiences = [issuer, `${issuer}/oauth/token`];
    await verifyClientAssertion({ ...ctx, audiences }, client, presented.assertion!, now);
    return client;
  }
  if (
    !client.secretHash ||
    presented.clientSecret === undefined ||
    !matchesSha256(presented.clientSecret, client.secretHash)
  ) {
    throw fail('invalid client credentials');
  }
  if (client.secretExpiresAt && client.secretExpiresAt <= now) throw fail('client secret expired');
  return client;
}

async function findClient(
  ctx: ClientAuthContext,
  clientId: string,
  fail: (description: string) => Error,
): Promise<OAuthClient> {
  let client: OAuthClient | null;
  try {
    client = await ctx.clients.find(clientId);
  } catch (err) {
    if (err instanceof MetadataDocumentError)
      throw fail(`the client's metadata document is not usable: ${err.message}`);
    throw err;
  }
  if (!client) throw fail('unknown client');
  return client;
}
