import { createHash, randomBytes } from 'node:crypto';
import { hashPassword, sha256, type PrismaClient } from '@mcp-auth/core';

/**
 * The OAuth flow as a client and a person drive it, over HTTP with fetch: /oauth/authorize, the
 * login and consent forms (with the flow cookie carried by hand), then the token, revocation and
 * introspection endpoints, and calls to the MCP endpoint with the token obtained.
 */

export const REDIRECT_URI = 'http://127.0.0.1:9876/callback';

/** How a client authenticates: a secret means client_secret_basic, none means a public client. */
export interface ClientCredentials {
  clientId: string;
  secret?: string;
  /** Where a secret goes: the Authorization header (default) or the form (client_secret_post). */
  secretIn?: 'header' | 'body';
}

export interface User {
  username: string;
  password: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  scope: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** A client row as registration would have stored it (the secret only as its hash). */
export async function addClient(
  prisma: PrismaClient,
  client: ClientCredentials,
  grantTypes = ['authorization_code', 'refresh_token'],
): Promise<ClientCredentials> {
  await prisma.oAuthClient.create({
    data: {
      id: client.clientId,
      tokenEndpointAuthMethod: client.secret ? 'client_secret_basic' : 'none',
      secretHash: client.secret ? sha256(client.secret) : null,
      redirectUris: [REDIRECT_URI],
      grantTypes,
      responseTypes: ['code'],
      metadata: {},
    },
  });
  return client;
}

export async function addUser(prisma: PrismaClient, username: string): Promise<User> {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await prisma.user.create({ data: { username, passwordHash: await hashPassword(password) } });
  return { username, password };
}

function basicAuthorization(c: ClientCredentials & { secret: string }): string {
  const pair = `${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

async function result(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not JSON (an empty 200 from /oauth/revoke, an HTML page): callers read `text`.
    body = {};
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A form POST to an endpoint that authenticates the client (token, revoke, introspect). */
export async function clientPost(
  url: string,
  client: ClientCredentials,
  params: Record<string, string>,
): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = new URLSearchParams(params);
  if (client.secret && client.secretIn !== 'body') {
    headers.authorization = basicAuthorization({ ...client, secret: client.secret });
  } else {
    form.set('client_id', client.clientId);
    if (client.secret) form.set('client_secret', client.secret);
  }
  return result(await fetch(url, { method: 'POST', headers, body: form }));
}

const csrfOf = (page: string): string => {
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no csrf_token on the page');
  return csrf;
};

function expectRedirect(res: Response, step: string): URL {
  const location = res.headers.get('location');
  if (res.status !== 303 || !location) throw new Error(`${step}: expected a 303 redirect, got ${res.status}`);
  return new URL(location);
}

/**
 * Runs /oauth/authorize → login → consent (approve) and returns the authorization code with its
 * PKCE verifier. `issuer` is the authorization server's base URL; `redirectUri` defaults to
 * REDIRECT_URI.
 */
export async function authorize(opts: {
  issuer: string;
  client: ClientCredentials;
  user: User;
  resource: string;
  scope: string;
  redirectUri?: string;
}): Promise<{ code: string; verifier: string }> {
  const redirectUri = opts.redirectUri ?? REDIRECT_URI;
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/oauth/authorize', opts.issuer);
  const state = randomBytes(8).toString('hex');
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: opts.client.clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    scope: opts.scope,
    resource: opts.resource,
  }).toString();

  const start = await fetch(url, { redirect: 'manual' });
  const login = expectRedirect(start, 'authorize');
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const requestId = login.searchParams.get('request') ?? '';
  const get = (u: URL | string) =>
    fetch(new URL(u, opts.issuer), { redirect: 'manual', headers: { cookie } });
  const post = (path: string, form: Record<string, string>) =>
    fetch(new URL(path, opts.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });

  const loginPage = await get(login);
  const afterLogin = expectRedirect(
    await post('/oauth/login', {
      request: requestId,
      csrf_token: csrfOf(await loginPage.text()),
      username: opts.user.username,
      password: opts.user.password,
    }),
    'login',
  );
  let callback = afterLogin;
  if (afterLogin.pathname.endsWith('/oauth/consent')) {
    const consentPage = await get(afterLogin);
    callback = expectRedirect(
      await post('/oauth/consent', {
        request: requestId,
        csrf_token: csrfOf(await consentPage.text()),
        decision: 'approve',
      }),
      'consent',
    );
  }
  const code = callback.searchParams.get('code');
  // Compared as strings: a private-use scheme (cursor://…) has no origin to compare.
  if (callback.href.split('?')[0] !== redirectUri.split('?')[0] || !code) {
    throw new Error(`authorization did not return a code: ${callback.toString()}`);
  }
  if (callback.searchParams.get('state') !== state) throw new Error('state did not round-trip');
  return { code, verifier };
}

export const redeemCode = (
  issuer: string,
  client: ClientCredentials,
  code: { code: string; verifier: string },
  redirectUri = REDIRECT_URI,
): Promise<HttpResult> =>
  clientPost(`${issuer}/oauth/token`, client, {
    grant_type: 'authorization_code',
    code: code.code,
    code_verifier: code.verifier,
    redirect_uri: redirectUri,
  });

export function tokenSetOf(r: HttpResult): TokenSet {
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${r.text}`);
  return {
    accessToken: r.body.access_token as string,
    refreshToken: r.body.refresh_token as string | undefined,
    scope: r.body.scope as string,
  };
}

/** The whole flow: authorization, login, consent and code redemption. */
export async function obtainTokens(opts: {
  issuer: string;
  client: ClientCredentials;
  user: User;
  resource: string;
  scope?: string;
}): Promise<TokenSet> {
  const code = await authorize({ ...opts, scope: opts.scope ?? 'mcp:tools' });
  return tokenSetOf(await redeemCode(opts.issuer, opts.client, code));
}

export const refreshTokens = (
  issuer: string,
  client: ClientCredentials,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<HttpResult> =>
  clientPost(`${issuer}/oauth/token`, client, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...extra,
  });

export const revokeToken = (
  issuer: string,
  client: ClientCredentials,
  token: string,
  extra: Record<string, string> = {},
): Promise<HttpResult> => clientPost(`${issuer}/oauth/revoke`, client, { token, ...extra });

export const introspectToken = (
  issuer: string,
  client: ClientCredentials,
  token: string,
  extra: Record<string, string> = {},
): Promise<HttpResult> => clientPost(`${issuer}/oauth/introspect`, client, { token, ...extra });

/** `tools/list` at the MCP endpoint with the token: 200 when it is accepted. */
export async function callMcp(resource: string, accessToken: string): Promise<HttpResult> {
  return result(
    await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    }),
  );
}

/** The `error` parameter of the WWW-Authenticate challenge, e.g. invalid_token. */
export const challengeError = (r: HttpResult): string | undefined =>
  /error="([^"]+)"/.exec(r.headers.get('www-authenticate') ?? '')?.[1];
