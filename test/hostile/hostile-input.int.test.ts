import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  addUser,
  callMcp,
  clientPost,
  obtainTokens,
  revokeToken,
  REDIRECT_URI,
  type ClientCredentials,
  type TokenSet,
  type User,
} from '../support/oauth-flow.ts';
import { startTokenStack, type TokenStack } from '../integration/token-stack.ts';
import { jwtAttacks } from './jwt-attacks.ts';

/**
 * Generated hostile input over every public endpoint (issue 12), property-based with fast-check,
 * against the real apps over HTTP (authorization server + registration, and the MCP service, as
 * separate apps on real PostgreSQL and Redis). Each generated case is one request that an attacker
 * or a broken client could send; the property is that it gets no 5xx and is not ACCEPTED:
 *  - no token issued (token endpoint), no authorization code or open redirect (authorize, login,
 *    consent), no client created or changed (registration and RFC 7592 management), no
 *    `active: true` from introspection, no 2xx from the MCP endpoint (no tool run) for a forged,
 *    bent or revoked token;
 * and, after the run, the database agrees: no client, code or refresh token more than the test made
 * itself, and the victim's client and tokens, which cases tried to revoke or change, still work.
 *
 * The seed is fixed (HOSTILE_SEED overrides it) and printed; a failure prints fast-check's shrunk
 * counterexample. HOSTILE_RUNS sets how many cases are generated.
 */

const SEED = Number(process.env.HOSTILE_SEED ?? 20261205);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 1000);
const MIN_DISTINCT = 200;
const REQUEST_TIMEOUT_MS = 20_000;

let stack: TokenStack;
let alice: User;
/** The victim: a confidential client whose tokens and registration the cases attack. */
const svc: ClientCredentials = { clientId: 'hostile-svc', secret: 'the-victim-secret-0123456789' };
/** An attacker's own public client. */
const mallory: ClientCredentials = { clientId: 'hostile-mallory' };
let victimTokens: TokenSet;
let attacks: Record<string, string>;
/** A client registered over RFC 7591, with its registration access token: what RFC 7592 cases attack. */
let registered: { clientId: string; rat: string; metadata: Record<string, unknown> };
let attackerRegistered: { clientId: string; rat: string };
/** A pending authorization request with its flow cookie: what login/consent cases attack. */
let pending: { requestId: string; cookie: string };
let before: { clients: number; codes: number; refreshTokens: number };

beforeAll(async () => {
  stack = await startTokenStack();
  await addClient(stack.prisma, svc, ['authorization_code', 'refresh_token', 'client_credentials']);
  await addClient(stack.prisma, mallory);
  alice = await addUser(stack.prisma, 'alice');
  const flow = () =>
    obtainTokens({ issuer: stack.issuer, client: svc, user: alice, resource: stack.resource });
  const [valid, revoked] = [await flow(), await flow()];
  victimTokens = await flow();
  expect((await revokeToken(stack.issuer, svc, revoked.accessToken)).status).toBe(200);
  const subject = (
    JSON.parse(Buffer.from(valid.accessToken.split('.')[1]!, 'base64url').toString()) as { sub: string }
  ).sub;
  attacks = jwtAttacks({
    key: stack.signingKey,
    issuer: stack.issuer,
    resource: stack.resource,
    subject,
    clientId: svc.clientId,
    valid: valid.accessToken,
    revoked: revoked.accessToken,
  });

  const register = async (name: string) => {
    const res = await fetch(`${stack.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT_URI],
        client_name: name,
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    return {
      clientId: body.client_id as string,
      rat: body.registration_access_token as string,
      metadata: body,
    };
  };
  registered = await register('victim app');
  attackerRegistered = await register('attacker app');

  const start = await fetch(
    `${stack.issuer}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: svc.clientId,
      redirect_uri: REDIRECT_URI,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      scope: 'mcp:tools',
      resource: stack.resource,
    })}`,
    { redirect: 'manual' },
  );
  expect(start.status).toBe(303);
  pending = {
    requestId: new URL(start.headers.get('location')!, stack.issuer).searchParams.get('request')!,
    cookie: start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; '),
  };
  // The probes can see an acceptance: the real token runs the tool that the bearer cases ask for.
  const control = await fetch(stack.resource, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${valid.accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'RAN' } },
    }),
  });
  expect(control.status).toBe(200);
  expect(await control.text()).toContain('RAN');
  // Everything up to here is the test's own; the cases must add nothing to it.
  before = await counts();
});

afterAll(async () => {
  await stack?.close();
});

const counts = async () => ({
  clients: await stack.prisma.oAuthClient.count(),
  codes: await stack.prisma.authorizationCode.count(),
  refreshTokens: await stack.prisma.refreshToken.count(),
});

// --- hostile values ---------------------------------------------------------------------------

/** Strings that have broken parsers, databases and comparisons before. */
const nasty = [
  '\u0000',
  'a\u0000b',
  '%00',
  '\r\nSet-Cookie: injected=1',
  '%0d%0aLocation:%20http://127.0.0.1:9/',
  '\u202egnp.exe', // right-to-left override
  '\u0430lice', // Cyrillic а: a confusable of "alice"
  'ＡＬＩＣＥ', // full-width
  'alice\u200b', // zero-width space
  'e\u0301', // combining accent
  '\ud800', // lone surrogate
  '%C0%AF', // overlong "/"
  '%ED%A0%80', // an encoded surrogate
  '%E0%A4%A', // a cut escape
  '%',
  '../../../../etc/passwd',
  "' OR '1'='1' --",
  '{"$ne":null}',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1:9/a}',
  '🦄'.repeat(50),
  '',
  ' ',
  'x'.repeat(70_000),
];
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nasty) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);
/** Redirect URIs that must never be registered or redirected to. */
const badRedirect = fc.constantFrom(
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
  'https://127.0.0.1/cb#fragment',
  'not a url',
  '',
  `${REDIRECT_URI}\u0000`,
  'http://127.0.0.1:9/elsewhere',
  `${REDIRECT_URI}/../../evil`,
  `${REDIRECT_URI}?extra=1`,
  REDIRECT_URI.replace('127.0.0.1', '127.0.0.1.nip.io'),
  REDIRECT_URI.toUpperCase(),
);
const deepJson = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const deepArray = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;

// --- what a case is -----------------------------------------------------------------------------

/** What the endpoint must not do with the request. */
type Forbidden = 'token' | 'code' | 'client' | 'active' | '2xx' | 'bearer' | 'nothing';
interface Case {
  endpoint: string;
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Sent as raw bytes over a socket (header tricks fetch refuses to send). */
  raw?: string;
  forbidden: Forbidden;
}

const FORM = 'application/x-www-form-urlencoded';
/** encodeURIComponent, which throws on a lone surrogate: that one goes as U+FFFD, as a browser sends it. */
const enc = (v: string) =>
  encodeURIComponent(
    v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const svcBasic = () => basic(svc.clientId, svc.secret!);
const qs = (pairs: [string, string][]) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
/** Keeps a value's escapes as they are (for the pre-encoded nasty strings) half the time. */
const param = (k: string, v: string, rawEscapes: boolean) =>
  `${k}=${rawEscapes && v.includes('%') ? v : enc(v)}`;

const bodyContentTypes = fc.constantFrom(
  FORM,
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  `${FORM}; charset=utf-16`,
  'application/x-www-form-urlencoded, application/json',
  '',
);

// Token endpoint: every grant, each with something wrong.
const tokenCase: fc.Arbitrary<Case> = fc
  .record({
    grant: fc.constantFrom(
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'password',
      'implicit',
      '',
    ),
    twist: fc.constantFrom(
      'bad value',
      'duplicated grant_type',
      'credentials in header and body',
      'wrong secret',
      'wrong client in body, right in header',
      'public client asks client_credentials',
      'used code',
      'revoked family',
      'content type',
    ),
    value: hostileString,
    raw: fc.boolean(),
    contentType: bodyContentTypes,
  })
  .map(({ grant, twist, value, raw, contentType }) => {
    const pairs: string[] = [`grant_type=${enc(grant)}`];
    const headers: Record<string, string> = { 'content-type': FORM, authorization: svcBasic() };
    const fields: Record<string, string> = {
      authorization_code: 'code',
      refresh_token: 'refresh_token',
      client_credentials: 'scope',
    };
    const field = fields[grant] ?? 'code';
    pairs.push(param(field, value, raw));
    if (grant === 'authorization_code')
      pairs.push('code_verifier=x'.padEnd(50, 'x'), `redirect_uri=${enc(REDIRECT_URI)}`);
    switch (twist) {
      case 'duplicated grant_type':
        pairs.push('grant_type=client_credentials');
        break;
      case 'credentials in header and body':
        pairs.push(`client_id=${svc.clientId}`, `client_secret=${svc.secret}`);
        break;
      case 'wrong secret':
        headers.authorization = basic(svc.clientId, value);
        break;
      case 'wrong client in body, right in header':
        pairs.push(`client_id=${mallory.clientId}`);
        break;
      case 'public client asks client_credentials':
        delete headers.authorization;
        pairs.splice(0, 1, 'grant_type=client_credentials', `client_id=${mallory.clientId}`);
        break;
      case 'used code':
        pairs.splice(1, 1, `code=${enc(value || 'used')}`);
        break;
      case 'revoked family':
        pairs.splice(0, 2, 'grant_type=refresh_token', `refresh_token=${enc(value)}x`);
        break;
      case 'content type':
        headers['content-type'] = contentType;
        break;
    }
    return {
      endpoint: 'POST /oauth/token',
      label: `${grant || '(empty grant)'}, ${twist}`,
      method: 'POST',
      path: '/oauth/token',
      headers,
      body: pairs.join('&'),
      forbidden: 'token' as const,
    };
  });

// RFC 7591 registration, always with something that must be refused.
const registerCase: fc.Arbitrary<Case> = fc
  .record({
    redirect: badRedirect,
    name: hostileString,
    shape: fc.constantFrom('json', 'deep object', 'deep array', 'form', 'array of uris as string', 'huge'),
    contentType: fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', FORM),
  })
  .map(({ redirect, name, shape, contentType }) => {
    const metadata = { redirect_uris: [redirect], client_name: name, token_endpoint_auth_method: 'none' };
    const body = {
      json: JSON.stringify(metadata),
      'deep object': `{"redirect_uris":[${JSON.stringify(redirect)}],"client_name":${deepJson(5000)}}`,
      'deep array': `{"redirect_uris":${deepArray(5000)}}`,
      form: qs([
        ['redirect_uris', redirect],
        ['client_name', name],
      ]),
      'array of uris as string': JSON.stringify({ ...metadata, redirect_uris: redirect }),
      huge: JSON.stringify({ ...metadata, client_name: 'x'.repeat(2_000_000) }),
    }[shape];
    return {
      endpoint: 'POST /oauth/register',
      label: `${shape} as ${contentType}, redirect ${JSON.stringify(redirect.slice(0, 40))}`,
      method: 'POST',
      path: '/oauth/register',
      headers: { 'content-type': contentType },
      body,
      forbidden: 'client' as const,
    };
  });

// RFC 7592 management of a registered client by someone who is not it.
const manageCase: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom('GET', 'PUT', 'DELETE'),
    target: fc.constantFrom('victim', 'hostile id', 'traversal'),
    auth: fc.constantFrom(
      'none',
      'attacker RAT',
      'victim RAT with a suffix',
      'hostile bearer',
      'basic',
      'two schemes',
    ),
    value: hostileString,
  })
  .map(({ method, target, auth, value }) => {
    const id = {
      victim: registered.clientId,
      'hostile id': enc(value) || 'x',
      traversal: `..%2F..%2F${registered.clientId}`,
    }[target];
    const authorization = {
      none: undefined,
      'attacker RAT': `Bearer ${attackerRegistered.rat}`,
      'victim RAT with a suffix': `Bearer ${registered.rat}x`,
      'hostile bearer': `Bearer ${value || 'x'}`,
      basic: basic(registered.clientId, registered.rat),
      'two schemes': `Bearer ${attackerRegistered.rat}, Bearer ${registered.rat}`,
    }[auth];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    return {
      endpoint: `${method} /oauth/register/:id`,
      label: `${target}, ${auth}`,
      method,
      path: `/oauth/register/${id}`,
      headers,
      body:
        method === 'PUT'
          ? JSON.stringify({
              client_id: registered.clientId,
              redirect_uris: ['http://127.0.0.1:9/stolen'],
              client_name: value,
            })
          : undefined,
      forbidden: '2xx' as const,
    };
  });

// The authorization endpoint: no code, no redirect anywhere but the login page or the registered URI.
const authorizeCase: fc.Arbitrary<Case> = fc
  .record({
    twist: fc.constantFrom(
      'bad redirect',
      'duplicated client_id',
      'duplicated redirect_uri',
      'unknown client',
      'response_type token',
      'no PKCE',
      'PKCE plain',
      'hostile scope',
      'hostile resource',
      'hostile state',
    ),
    redirect: badRedirect,
    value: hostileString,
    raw: fc.boolean(),
    method: fc.constantFrom('GET', 'POST'),
  })
  .map(({ twist, redirect, value, raw, method }) => {
    const p: Record<string, string> = {
      response_type: 'code',
      client_id: svc.clientId,
      redirect_uri: redirect,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      scope: 'mcp:tools',
      resource: stack.resource,
      state: 's',
    };
    const extra: string[] = [];
    if (twist !== 'bad redirect') p.redirect_uri = REDIRECT_URI;
    if (twist === 'duplicated client_id') extra.push(`client_id=${mallory.clientId}`);
    if (twist === 'duplicated redirect_uri') extra.push(`redirect_uri=${enc(redirect)}`);
    if (twist === 'unknown client') p.client_id = value || 'unknown';
    if (twist === 'response_type token') p.response_type = 'token';
    if (twist === 'no PKCE') delete p.code_challenge;
    if (twist === 'PKCE plain') p.code_challenge_method = 'plain';
    if (twist === 'hostile scope') p.scope = value;
    if (twist === 'hostile resource') p.resource = value;
    if (twist === 'hostile state') p.state = value;
    const query = [...Object.entries(p).map(([k, v]) => param(k, v, raw)), ...extra].join('&');
    return {
      endpoint: `${method} /oauth/authorize`,
      label: twist,
      method,
      path: method === 'GET' ? `/oauth/authorize?${query}` : '/oauth/authorize',
      headers: method === 'GET' ? {} : ({ 'content-type': FORM } as Record<string, string>),
      body: method === 'GET' ? undefined : query,
      forbidden: 'code' as const,
    };
  });

// Login and consent forms: never a session or a code without the password and the CSRF token.
const formCase: fc.Arbitrary<Case> = fc
  .record({
    page: fc.constantFrom('login', 'consent'),
    csrf: fc.constantFrom('missing', 'hostile', 'duplicated'),
    cookie: fc.constantFrom('flow cookie', 'none', 'hostile'),
    username: fc.constantFrom('alice', '\u0430lice', 'ALICE', 'alice\u0000', ' alice', 'alice\u200b'),
    value: hostileString,
    request: fc.constantFrom('pending', 'hostile', 'duplicated'),
    raw: fc.boolean(),
  })
  .map(({ page, csrf, cookie, username, value, request, raw }) => {
    const fields: string[] = [];
    if (request === 'pending' || request === 'duplicated') fields.push(`request=${pending.requestId}`);
    if (request !== 'pending') fields.push(param('request', value, raw));
    if (csrf === 'hostile' || csrf === 'duplicated') fields.push(param('csrf_token', value, raw));
    if (csrf === 'duplicated') fields.push('csrf_token=guess');
    if (page === 'login')
      fields.push(param('username', username, raw), param('password', value || 'wrong', raw));
    else fields.push('decision=approve', param('decision', value, raw));
    const headers: Record<string, string> = { 'content-type': FORM };
    if (cookie === 'flow cookie') headers.cookie = pending.cookie;
    if (cookie === 'hostile') headers.cookie = `${pending.cookie.split('=')[0] ?? 'x'}=${enc(value)}`;
    return {
      endpoint: `POST /oauth/${page}`,
      label: `csrf ${csrf}, cookie ${cookie}, request ${request}`,
      method: 'POST',
      path: `/oauth/${page}`,
      headers,
      body: fields.join('&'),
      forbidden: 'code' as const,
    };
  });

// Bearer tokens at the MCP endpoint and at introspection: every forged or bent one is refused.
const bearerCase: fc.Arbitrary<Case> = fc
  .record({
    // An index, not a name: the tokens are made in beforeAll, after the arbitraries are declared.
    attackIndex: fc.nat({ max: 999 }),
    target: fc.constantFrom('POST /mcp', 'GET /mcp', 'DELETE /mcp', 'POST /oauth/introspect'),
    scheme: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Bearer  '),
  })
  .map(({ attackIndex, target, scheme }) => {
    const names = Object.keys(attacks);
    const attack = names[attackIndex % names.length]!;
    const token = attacks[attack]!;
    if (target === 'POST /oauth/introspect') {
      return {
        endpoint: target,
        label: attack,
        method: 'POST',
        path: '/oauth/introspect',
        headers: { 'content-type': FORM, authorization: svcBasic() } as Record<string, string>,
        body: qs([['token', token]]),
        forbidden: 'active' as const,
      };
    }
    const [method] = target.split(' ') as [string];
    return {
      endpoint: target,
      label: `${attack} (${scheme.trim()})`,
      method,
      path: '/mcp',
      headers: {
        authorization: `${scheme} ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body:
        method === 'POST'
          ? JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              method: 'tools/call',
              params: { name: 'echo', arguments: { text: 'RAN' } },
            })
          : undefined,
      forbidden: 'bearer' as const,
    };
  });

// Revocation by someone who does not hold the client's credentials; checked afterwards (RFC 7009
// answers 200 whatever the token, so the proof is that the victim's tokens still work).
const revokeCase: fc.Arbitrary<Case> = fc
  .record({
    which: fc.constantFrom('access', 'refresh'),
    auth: fc.constantFrom(
      'attacker public client',
      'no client',
      'wrong secret',
      'victim id in body, attacker in header',
      'duplicated token',
    ),
    value: hostileString,
  })
  .map(({ which, auth, value }) => {
    const token = which === 'access' ? victimTokens.accessToken : victimTokens.refreshToken!;
    const pairs: [string, string][] = [['token', token]];
    const headers: Record<string, string> = { 'content-type': FORM };
    if (auth === 'attacker public client') pairs.push(['client_id', mallory.clientId]);
    if (auth === 'wrong secret') headers.authorization = basic(svc.clientId, value || 'x');
    if (auth === 'victim id in body, attacker in header') {
      headers.authorization = basic(mallory.clientId, 'x');
      pairs.push(['client_id', svc.clientId]);
    }
    if (auth === 'duplicated token') pairs.push(['token', value], ['client_id', mallory.clientId]);
    return {
      endpoint: 'POST /oauth/revoke',
      label: `${which} token, ${auth}`,
      method: 'POST',
      path: '/oauth/revoke',
      headers,
      body: qs(pairs),
      forbidden: 'nothing' as const,
    };
  });

// Documents anyone may read: hostile queries and headers change nothing.
const documentCase: fc.Arbitrary<Case> = fc
  .record({
    path: fc.constantFrom(
      '/.well-known/oauth-authorization-server',
      '/oauth/jwks.json',
      'MCP:/.well-known/oauth-protected-resource/mcp',
      'MCP:/.well-known/oauth-protected-resource',
    ),
    value: hostileString,
    accept: fc.constantFrom('*/*', 'text/html', 'application/xml', '\u00ff', ''),
  })
  .map(({ path, value, accept }) => ({
    endpoint: `GET ${path.replace('MCP:', '')}`,
    label: `query and accept ${JSON.stringify(accept)}`,
    method: 'GET',
    path: `${path}?${enc(value.slice(0, 2000))}=${enc(value.slice(0, 2000))}&x=1&x=2`,
    headers: (accept ? { accept } : {}) as Record<string, string>,
    forbidden: 'nothing' as const,
  }));

// Requests fetch will not send: header smuggling, straight onto the socket.
const rawCase: fc.Arbitrary<Case> = fc
  .record({
    trick: fc.constantFrom(
      'Content-Length and Transfer-Encoding',
      'two different Content-Lengths',
      'chunked smuggling a second request',
      'CRLF in a header value',
      'obs-fold header',
      'NUL in a header',
      'two Host headers',
      'two Authorization headers',
      'huge header',
    ),
    path: fc.constantFrom(
      '/oauth/token',
      '/oauth/register',
      '/oauth/revoke',
      '/oauth/introspect',
      'MCP:/mcp',
    ),
  })
  .map(({ trick, path }) => {
    const p = path.replace('MCP:', '/mcp').replace('/mcp/mcp', '/mcp');
    const smuggled = `POST /oauth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 62\r\n\r\n{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"smug"}`;
    const body = 'grant_type=client_credentials';
    const head = (extra: string) => `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}`;
    const raw = {
      'Content-Length and Transfer-Encoding': `${head(`Content-Type: ${FORM}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n`)}1d\r\n${body}\r\n0\r\n\r\n`,
      'two different Content-Lengths': `${head(`Content-Type: ${FORM}\r\nContent-Length: 5\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'chunked smuggling a second request': `${head(`Content-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`)}0\r\n\r\n${smuggled}`,
      'CRLF in a header value': `${head(`Content-Type: ${FORM}\r\nAuthorization: ${svcBasic()}\rX-Injected: 1\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'obs-fold header': `${head(`Content-Type: ${FORM}\r\nAuthorization: Basic\r\n ${svcBasic().slice(6)}\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'NUL in a header': `${head(`Content-Type: ${FORM}\r\nAuthorization: ${svcBasic()}\u0000\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'two Host headers': `${head(`Host: 127.0.0.1:9\r\nContent-Type: ${FORM}\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'two Authorization headers': `${head(`Content-Type: ${FORM}\r\nAuthorization: ${basic(mallory.clientId, 'x')}\r\nAuthorization: ${svcBasic()}\r\nContent-Length: ${body.length}\r\n\r\n`)}${body}`,
      'huge header': `${head(`X-Big: ${'x'.repeat(100_000)}\r\nContent-Length: 0\r\n\r\n`)}`,
    }[trick];
    return {
      endpoint: `raw ${path.startsWith('MCP:') ? 'POST /mcp' : `POST ${p}`}`,
      label: trick,
      method: 'POST',
      path,
      headers: {},
      raw,
      // The credentials are the victim's, but sent ambiguously: no token may come of it.
      forbidden: 'token' as const,
    };
  });

const anyCase = fc.oneof(
  tokenCase,
  registerCase,
  manageCase,
  authorizeCase,
  formCase,
  bearerCase,
  bearerCase,
  revokeCase,
  documentCase,
  rawCase,
);

// --- sending a case -----------------------------------------------------------------------------

interface Outcome {
  status: number;
  location: string;
  text: string;
  challenge?: string;
}

function baseOf(path: string): { base: string; path: string } {
  const mcpOrigin = new URL(stack.resource).origin;
  if (path.startsWith('MCP:')) return { base: mcpOrigin, path: path.slice(4) };
  if (path.startsWith('/mcp')) return { base: mcpOrigin, path };
  return { base: stack.issuer, path };
}

async function sendRaw(c: Case): Promise<Outcome> {
  const { base } = baseOf(c.path.startsWith('MCP:') || c.path === '/mcp' ? 'MCP:/mcp' : c.path);
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer in time (hang)'));
    }, REQUEST_TIMEOUT_MS);
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      // A parser that refuses the bytes may just close: that is a refusal, not an answer.
      const statuses = [...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      resolve({
        status: statuses.length ? Math.max(...statuses) : 400,
        location: '',
        text: data.slice(0, 4000),
      });
    });
    socket.write(c.raw!, 'latin1');
    // Half-close: the server answers what it understood and closes.
    setTimeout(() => socket.end(), 200);
  });
}

/**
 * Header values as bytes on the wire: a non-Latin-1 character goes as its UTF-8 bytes (what a raw
 * client sends; fetch takes only byte strings). Control characters (CR, LF, NUL...), which fetch
 * refuses outright, are dropped here: the raw cases send those.
 */
const wireHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [
      k,
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
      Buffer.from(v.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ''), 'utf8').toString('latin1'),
    ]),
  );

async function send(c: Case): Promise<Outcome> {
  if (c.raw !== undefined) return sendRaw(c);
  const { base, path } = baseOf(c.path);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${base}${path}`, {
      method: c.method,
      headers: wireHeaders(c.headers),
      body: c.body,
      redirect: 'manual',
      signal: controller.signal,
    });
    // A 2xx stream (SSE) would never end: its status is all that matters.
    const stream = res.status >= 200 && res.status < 300 && c.method === 'GET' && path === '/mcp';
    const text = stream ? '' : await res.text();
    if (stream) await res.body?.cancel();
    return {
      status: res.status,
      location: res.headers.get('location') ?? '',
      text,
      challenge: res.headers.get('www-authenticate') ?? undefined,
    };
  } finally {
    clearTimeout(timer);
  }
}

function accepted(c: Case, o: Outcome): string | undefined {
  const ok = o.status >= 200 && o.status < 300;
  switch (c.forbidden) {
    case 'token':
      return /"access_token"/.test(o.text) ? 'a token was issued' : undefined;
    case 'client':
      return ok ? 'a client was registered' : undefined;
    case 'active':
      return /"active"\s*:\s*true/.test(o.text) ? 'introspection said active' : undefined;
    case '2xx':
      return ok ? `accepted with ${o.status}` : undefined;
    case 'bearer': {
      // Refused by the bearer check itself (RFC 6750 §3.1: 401, or 400 invalid_request for a
      // malformed header, each with its challenge), not by something after it: a 400 or 405 from
      // the MCP layer would mean the token got through.
      const refused =
        o.challenge !== undefined &&
        (o.status === 401 || (o.status === 400 && /error="invalid_request"/.test(o.challenge)));
      return !refused || o.text.includes('RAN') ? `got past the bearer check: ${o.status}` : undefined;
    }
    case 'code': {
      if (!o.location) return undefined;
      const to = new URL(o.location, stack.issuer);
      if (to.searchParams.has('code')) return `a code was issued: ${o.location.slice(0, 100)}`;
      const own = to.origin === stack.issuer && to.pathname.startsWith('/oauth/');
      if (to.pathname === '/oauth/consent') return 'login passed without the password';
      if (!own && to.href.split('?')[0] !== REDIRECT_URI)
        return `open redirect to ${o.location.slice(0, 100)}`;
      return undefined;
    }
    case 'nothing':
      return undefined;
  }
}

const keyOf = (c: Case) =>
  createHash('sha256')
    .update(JSON.stringify([c.method, c.path, c.headers, c.body ?? '', c.raw ?? '']))
    .digest('hex');

// --- the run --------------------------------------------------------------------------------------

describe('generated hostile input over every public endpoint', () => {
  it(`${MIN_DISTINCT}+ distinct hostile cases: no 5xx, nothing accepted`, { timeout: 240_000 }, async () => {
    console.log(`hostile input: seed ${SEED}, ${RUNS} runs (HOSTILE_SEED / HOSTILE_RUNS to change)`);
    const distinct = new Set<string>();
    const perEndpoint = new Map<string, Set<string>>();
    const statuses = new Map<number, number>();

    const property = fc.asyncProperty(anyCase, async (c) => {
      const key = keyOf(c);
      distinct.add(key);
      perEndpoint.set(c.endpoint, (perEndpoint.get(c.endpoint) ?? new Set()).add(key));
      const o = await send(c);
      statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
      if (o.status >= 500)
        throw new Error(`${c.endpoint} [${c.label}] answered ${o.status}: ${o.text.slice(0, 300)}`);
      const why = accepted(c, o);
      if (why) throw new Error(`${c.endpoint} [${c.label}] was accepted: ${why}`);
    });
    await fc.assert(property, {
      seed: SEED,
      numRuns: RUNS,
      // Shrinking re-sends requests; keep it bounded so a failure still reports in time.
      endOnFailure: false,
      interruptAfterTimeLimit: 200_000,
      markInterruptAsFailure: true,
    });

    const table = [...perEndpoint.entries()].sort().map(([e, s]) => `  ${String(s.size).padStart(4)}  ${e}`);
    console.log(
      `hostile input: ${distinct.size} distinct cases (seed ${SEED})\n${table.join('\n')}\n  statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    expect(distinct.size).toBeGreaterThanOrEqual(MIN_DISTINCT);
    // Every public endpoint was reached.
    expect([...perEndpoint.keys()].sort()).toEqual(
      expect.arrayContaining([
        'POST /oauth/token',
        'POST /oauth/register',
        'GET /oauth/register/:id',
        'PUT /oauth/register/:id',
        'DELETE /oauth/register/:id',
        'GET /oauth/authorize',
        'POST /oauth/authorize',
        'POST /oauth/login',
        'POST /oauth/consent',
        'POST /mcp',
        'GET /mcp',
        'DELETE /mcp',
        'POST /oauth/introspect',
        'POST /oauth/revoke',
        'GET /.well-known/oauth-authorization-server',
        'GET /oauth/jwks.json',
        'GET /.well-known/oauth-protected-resource/mcp',
      ]),
    );
  });

  it('the database agrees: nothing created, and the victim’s client and tokens are intact', async () => {
    expect(await counts()).toEqual(before);
    // The RFC 7592 victim: still there, unchanged, and its own token still reads it.
    const read = await fetch(`${stack.issuer}/oauth/register/${registered.clientId}`, {
      headers: { authorization: `Bearer ${registered.rat}` },
    });
    expect(read.status).toBe(200);
    const now = (await read.json()) as Record<string, unknown>;
    expect({ redirect_uris: now.redirect_uris, client_name: now.client_name }).toEqual({
      redirect_uris: registered.metadata.redirect_uris,
      client_name: registered.metadata.client_name,
    });
    // Revocation attempts without the victim's credentials revoked nothing.
    expect((await callMcp(stack.resource, victimTokens.accessToken)).status).toBe(200);
    const introspected = await clientPost(`${stack.issuer}/oauth/introspect`, svc, {
      token: victimTokens.refreshToken!,
    });
    expect(introspected.body.active).toBe(true);
  });
});
