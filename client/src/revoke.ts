import {
  discoverAuthorizationServerMetadata,
  discoverOAuthServerInfo,
  selectClientAuthMethod,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  AuthorizationServerMetadata,
  OAuthClientInformationMixed,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerRecord } from './store.ts';

/** How one token's revocation went. */
export type RevocationOutcome =
  | { status: 'revoked' }
  /** Nothing of this kind was stored. */
  | { status: 'none' }
  /** The server does not revoke this kind of token (RFC 7009 §2.2.1 unsupported_token_type). */
  | { status: 'unsupported'; reason: string }
  | { status: 'failed'; reason: string };

export type TokenTypeHint = 'refresh_token' | 'access_token';

/**
 * The RFC 8414 fields revocation needs. OpenID Connect discovery documents (the other half of the SDK's
 * metadata union) may carry them too, so they are read from either.
 */
export interface RevocationMetadata {
  issuer?: string;
  revocation_endpoint?: string;
  revocation_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

/** A revocation request that hangs must not hang `logout`. */
const TIMEOUT_MS = 10_000;

const describeFetchError = (error: unknown): string => {
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return cause ?? (error as Error).message ?? String(error);
};

/** RFC 6749 §2.3.1: client_id and secret are form-encoded before they are joined and base64-encoded. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * Client authentication for the revocation request, as the client authenticates at the token endpoint
 * (RFC 7009 §2.1): the method it registered with, when the server lists it for revocation.
 */
export function authenticateRevocationRequest(
  clientInformation: OAuthClientInformationMixed,
  metadata: RevocationMetadata,
  headers: Headers,
  body: URLSearchParams,
): void {
  const supported =
    metadata.revocation_endpoint_auth_methods_supported ??
    metadata.token_endpoint_auth_methods_supported ??
    [];
  const method = selectClientAuthMethod(clientInformation, supported);
  const { client_id, client_secret } = clientInformation;
  if (method === 'client_secret_basic' && client_secret) {
    const credentials = `${formEncode(client_id)}:${formEncode(client_secret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
    return;
  }
  // 'none' (public clients, e.g. this CLI's own registration) and client_secret_post send the id in the body.
  body.set('client_id', client_id);
  if (method === 'client_secret_post' && client_secret) body.set('client_secret', client_secret);
}

/** One RFC 7009 revocation request. 200 means revoked (also for a token the server no longer knows). */
export async function revokeToken(input: {
  endpoint: string;
  token: string;
  hint: TokenTypeHint;
  clientInformation: OAuthClientInformationMixed;
  metadata: RevocationMetadata;
  fetchFn?: FetchLike;
}): Promise<RevocationOutcome> {
  const headers = new Headers({
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  });
  const body = new URLSearchParams({ token: input.token, token_type_hint: input.hint });
  authenticateRevocationRequest(input.clientInformation, input.metadata, headers, body);
  let response: Response;
  try {
    response = await (input.fetchFn ?? fetch)(input.endpoint, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { status: 'failed', reason: `cannot reach ${input.endpoint}: ${describeFetchError(error)}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 200) return { status: 'revoked' };
  let error: string | undefined;
  let description: string | undefined;
  try {
    ({ error, error_description: description } = JSON.parse(text) as {
      error?: string;
      error_description?: string;
    });
  } catch {
    // Not an OAuth error body: the status says enough.
  }
  const reason = `the server answered HTTP ${response.status}${error ? ` ${error}` : ''}${
    description ? `: ${description}` : ''
  }`;
  if (response.status === 400 && error === 'unsupported_token_type') return { status: 'unsupported', reason };
  return { status: 'failed', reason };
}

/** Where the stored login came from: its authorization server and that server's metadata, fetched anew. */
export type RevocationTarget =
  | { kind: 'found'; endpoint: string; metadata: RevocationMetadata }
  | { kind: 'no-endpoint'; issuer?: string }
  | { kind: 'unreachable'; reason: string };

/**
 * Finds the revocation endpoint in the authorization server's RFC 8414 metadata. The metadata is fetched
 * again (the server may have gained the endpoint since the login); when that fails, the copy stored at
 * login is used.
 */
export async function findRevocationEndpoint(
  record: ServerRecord,
  fetchFn?: FetchLike,
): Promise<RevocationTarget> {
  const stored = record.discoveryState?.authorizationServerMetadata;
  const authorizationServerUrl = record.discoveryState?.authorizationServerUrl;
  let metadata: RevocationMetadata | undefined;
  let failure: string | undefined;
  try {
    const found: AuthorizationServerMetadata | undefined = authorizationServerUrl
      ? await discoverAuthorizationServerMetadata(authorizationServerUrl, { fetchFn })
      : (await discoverOAuthServerInfo(record.serverUrl, { fetchFn })).authorizationServerMetadata;
    metadata = found as RevocationMetadata | undefined;
  } catch (error) {
    failure = `cannot fetch the authorization server's metadata: ${describeFetchError(error)}`;
  }
  metadata ??= stored as RevocationMetadata | undefined;
  const endpoint = metadata?.revocation_endpoint;
  if (metadata && endpoint) return { kind: 'found', endpoint, metadata };
  if (failure) return { kind: 'unreachable', reason: failure };
  return { kind: 'no-endpoint', issuer: metadata?.issuer ?? authorizationServerUrl };
}

export interface ServerRevocation {
  target: RevocationTarget;
  refreshToken: RevocationOutcome;
  accessToken: RevocationOutcome;
}

/**
 * The client that revokes: the stored registration, and for a machine login its secret, read from its
 * source as for a token request (the file holds none). A private_key_jwt machine sends only its id.
 */
async function revokingClient(record: ServerRecord): Promise<OAuthClientInformationMixed | undefined> {
  const { clientInformation, machine } = record;
  if (!clientInformation || !machine || machine.privateKeyFile) return clientInformation;
  const { readClientSecret } = await import('./machine.ts');
  const secret = await readClientSecret(machine).catch(() => undefined);
  return secret ? { ...clientInformation, client_secret: secret } : clientInformation;
}

/**
 * Revokes the stored refresh token, which ends the whole grant (RFC 7009 §2.1: the server should also
 * invalidate the access tokens of that grant), then the access token, for servers that do not.
 */
export async function revokeStoredTokens(
  record: ServerRecord,
  fetchFn?: FetchLike,
): Promise<ServerRevocation> {
  const none: RevocationOutcome = { status: 'none' };
  const tokens = record.tokens;
  const clientInformation = await revokingClient(record);
  if (!tokens || !clientInformation) {
    return { target: { kind: 'no-endpoint' }, refreshToken: none, accessToken: none };
  }
  const target = await findRevocationEndpoint(record, fetchFn);
  if (target.kind !== 'found') {
    // Unreachable: revocation failed. No endpoint: this server cannot revoke, which is no failure of ours.
    const outcome: RevocationOutcome =
      target.kind === 'unreachable'
        ? { status: 'failed', reason: target.reason }
        : { status: 'unsupported', reason: 'the authorization server has no revocation endpoint' };
    return { target, refreshToken: tokens.refresh_token ? outcome : none, accessToken: outcome };
  }
  const revoke = (token: string, hint: TokenTypeHint) =>
    revokeToken({
      endpoint: target.endpoint,
      token,
      hint,
      clientInformation,
      metadata: target.metadata,
      fetchFn,
    });
  const refreshToken = tokens.refresh_token ? await revoke(tokens.refresh_token, 'refresh_token') : none;
  const accessToken = await revoke(tokens.access_token, 'access_token');
  return { target, refreshToken, accessToken };
}
