import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASE_SCOPE, IDENTITY_SCOPE, sha256, type PrismaClient } from '@mcp-auth/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizeServer, type AuthorizeServer } from '../../../../test/support/authorize-server.ts';
import { launchBrowser, logInAndConsent } from '../../../../test/support/browser.ts';
import { createUser } from '../users.ts';

const CLIENT_ID = 'int-test-client';
const REDIRECT_URI = 'http://127.0.0.1:9876/callback';
const PASSWORD = 'correct horse battery';

let server: AuthorizeServer;
let prisma: PrismaClient;
let base: string;
let resource: string;

beforeAll(async () => {
  server = await startAuthorizeServer();
  ({ prisma, base, resource } = server);

  const client = {
    tokenEndpointAuthMethod: 'none',
    responseTypes: ['code'],
    metadata: {},
  };
  await prisma.oAuthClient.createMany({
    data: [
      {
        ...client,
        id: CLIENT_ID,
        clientName: 'Test <App>',
        redirectUris: [REDIRECT_URI],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
      {
        ...client,
        id: 'two-uris',
        redirectUris: ['https://app.example/a', 'https://app.example/b'],
        grantTypes: ['authorization_code'],
      },
      {
        ...client,
        id: 'machine',
        redirectUris: ['https://machine.example/cb'],
        grantTypes: ['client_credentials'],
      },
    ],
  });
  await createUser(prisma, 'alice', PASSWORD);
  await createUser(prisma, 'bob', PASSWORD);
});

afterAll(async () => {
  await server?.close();
});

const verifier = randomBytes(32).toString('base64url');
const challenge = createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    scope: BASE_SCOPE,
    resource,
    ...overrides,
  };
  const url = new URL('/oauth/authorize', base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

const get = (url: string, cookie?: string) =>
  fetch(new URL(url, base), { redirect: 'manual', headers: cookie ? { cookie } : {} });

const post = (path: string, form: Record<string, string | undefined>, cookie?: string) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) body.append(k, v);
  return fetch(new URL(path, base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body,
  });
};

/** The query of a redirect to the client, after checking it goes to `redirectUri`. */
function redirectParams(res: Response, redirectUri = REDIRECT_URI): Record<string, string> {
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  return Object.fromEntries(location.searchParams);
}

interface Flow {
  requestId: string;
  cookie: string;
}

async function startFlow(overrides: Record<string, string | undefined> = {}): Promise<Flow> {
  const res = await get(authorizeUrl(overrides));
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(`${base}/oauth/login`);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('mcp_auth_flow='));
  expect(setCookie).toBeDefined();
  return { requestId: location.searchParams.get('request')!, cookie: setCookie!.split(';')[0]! };
}

const csrfOf = (page: string) => /name="csrf_token" value="([^"]+)"/.exec(page)?.[1];

async function csrfFor(flow: Flow): Promise<string> {
  const res = await get(`/oauth/login?request=${flow.requestId}`, flow.cookie);
  expect(res.status).toBe(200);
  return csrfOf(await res.text())!;
}

async function logIn(flow: Flow, username = 'alice', password = PASSWORD): Promise<Response> {
  const csrf = await csrfFor(flow);
  return post('/oauth/login', { request: flow.requestId, csrf_token: csrf, username, password }, flow.cookie);
}

async function expectErrorPage(res: Response, status: number, error: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const page = await res.text();
  expect(page).toContain(`<code>${error}</code>`);
  return page;
}

describe('GET /oauth/authorize: client and redirect URI errors are pages, never redirects', () => {
  it('unknown client', async () => {
    await expectErrorPage(await get(authorizeUrl({ client_id: 'nobody' })), 400, 'invalid_client');
  });

  it('missing client_id', async () => {
    await expectErrorPage(await get(authorizeUrl({ client_id: undefined })), 400, 'invalid_request');
  });

  it('redirect URI not registered', async () => {
    const res = await get(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }));
    await expectErrorPage(res, 400, 'invalid_redirect_uri');
  });

  it('redirect_uri omitted while the client registered several', async () => {
    const res = await get(authorizeUrl({ client_id: 'two-uris', redirect_uri: undefined }));
    await expectErrorPage(res, 400, 'invalid_redirect_uri');
  });

  it('repeated client_id', async () => {
    const res = await get(`${authorizeUrl()}&client_id=${CLIENT_ID}`);
    await expectErrorPage(res, 400, 'invalid_request');
  });
});

describe('GET /oauth/authorize: other errors go back to the client with state and iss', () => {
  const cases: [string, Record<string, string | undefined>, string][] = [
    ['missing code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain', code_challenge: verifier }, 'invalid_request'],
    ['missing code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['unsupported scope', { scope: `${BASE_SCOPE} admin` }, 'invalid_scope'],
    ['another resource', { resource: 'https://other.example/mcp' }, 'invalid_target'],
    ['relative resource', { resource: '/mcp' }, 'invalid_target'],
  ];
  for (const [name, overrides, error] of cases) {
    it(name, async () => {
      const params = redirectParams(await get(authorizeUrl(overrides)));
      expect(params).toMatchObject({ error, state: 'state-123', iss: base });
      expect(params.error_description).toBeTruthy();
      expect(params.code).toBeUndefined();
    });
  }

  it('a repeated parameter', async () => {
    const params = redirectParams(await get(`${authorizeUrl()}&scope=${IDENTITY_SCOPE}`));
    expect(params).toMatchObject({ error: 'invalid_request', state: 'state-123', iss: base });
  });

  it('a state too long to store (without echoing it)', async () => {
    const params = redirectParams(await get(authorizeUrl({ state: 'x'.repeat(2000) })));
    expect(params).toMatchObject({ error: 'invalid_request', iss: base });
    expect(params.state).toBeUndefined();
  });
});

describe('GET /oauth/authorize: no open redirector (RFC 9700 §4.11.2)', () => {
  it('shows errors for a non-loopback redirect URI on a page instead of redirecting before login', async () => {
    const url = authorizeUrl({ client_id: 'machine', redirect_uri: 'https://machine.example/cb' });
    await expectErrorPage(await get(url), 400, 'unauthorized_client');
    const bad = authorizeUrl({
      client_id: 'two-uris',
      redirect_uri: 'https://app.example/a',
      response_type: 'token',
    });
    await expectErrorPage(await get(bad), 400, 'unsupported_response_type');
  });
});

describe('GET /oauth/authorize: a valid request', () => {
  it('is stored, bound to the browser by a cookie, and sent to the login page', async () => {
    const res = await get(authorizeUrl({ scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` }));
    expect(res.status).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mcp_auth_flow='))!;
    expect(cookie).toMatch(/; Max-Age=600;/);
    expect(cookie).toMatch(/; Path=\/oauth;/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const id = new URL(res.headers.get('location')!).searchParams.get('request')!;
    const row = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id } });
    const binding = decodeURIComponent(cookie.split(';')[0]!.slice('mcp_auth_flow='.length));
    expect(row).toMatchObject({
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      scopes: [BASE_SCOPE, IDENTITY_SCOPE],
      state: 'state-123',
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      resource,
      bindingHash: sha256(binding),
      userId: null,
    });
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
  });

  it('defaults scope to the base scope and resource to ours, and accepts a form POST', async () => {
    const body = new URL(authorizeUrl({ scope: undefined, resource: undefined })).searchParams;
    const res = await fetch(`${base}/oauth/authorize`, { method: 'POST', redirect: 'manual', body });
    expect(res.status).toBe(303);
    const id = new URL(res.headers.get('location')!).searchParams.get('request')!;
    const row = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id } });
    expect(row.scopes).toEqual([BASE_SCOPE]);
    expect(row.resource).toBe(resource);
  });
});

describe('login page', () => {
  it('has stable fields, escapes the client name, and sends security headers', async () => {
    const flow = await startFlow();
    const res = await get(`/oauth/login?request=${flow.requestId}`, flow.cookie);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9876");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toMatch(/<input[^>]*name="username"[^>]*autocomplete="username"/);
    expect(page).toMatch(
      /<input[^>]*type="password"[^>]*name="password"[^>]*autocomplete="current-password"/,
    );
    expect(page).toContain(`name="request" value="${flow.requestId}"`);
    expect(page).toContain('Test &lt;App&gt;');
    expect(page).not.toContain('Test <App>');
  });

  it('answers a wrong password and an unknown user alike, with 401', async () => {
    const flow = await startFlow();
    const wrong = await logIn(flow, 'alice', 'not the password');
    const unknown = await logIn(flow, 'mallory', PASSWORD);
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('Incorrect username or password.');
    }
    const row = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id: flow.requestId } });
    expect(row.userId).toBeNull();
  });

  it('throttles password guessing: after 5 failures even the right password waits (429)', async () => {
    await createUser(prisma, 'dave', PASSWORD);
    const flow = await startFlow();
    for (let i = 0; i < 5; i++) expect((await logIn(flow, 'dave', `guess ${i}`)).status).toBe(401);
    const blocked = await logIn(flow, 'dave', PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many failed sign-in attempts');
    const row = await prisma.authorizationRequest.findUniqueOrThrow({ where: { id: flow.requestId } });
    expect(row.userId).toBeNull();
  });

  it('counts parallel guesses too: 20 at once cannot all get past the limit', async () => {
    await createUser(prisma, 'erin', PASSWORD);
    const flow = await startFlow();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => logIn(flow, 'erin', `parallel guess ${i}`).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses a post without the CSRF token (403)', async () => {
    const flow = await startFlow();
    const res = await post(
      '/oauth/login',
      { request: flow.requestId, username: 'alice', password: PASSWORD },
      flow.cookie,
    );
    await expectErrorPage(res, 403, 'invalid_request');
  });

  it('refuses a browser without the binding cookie (403), on the page and the post', async () => {
    const flow = await startFlow();
    await expectErrorPage(await get(`/oauth/login?request=${flow.requestId}`), 403, 'invalid_request');
    const csrf = await csrfFor(flow);
    const form = { request: flow.requestId, csrf_token: csrf, username: 'alice', password: PASSWORD };
    await expectErrorPage(await post('/oauth/login', form), 403, 'invalid_request');
    const other = await startFlow();
    await expectErrorPage(await post('/oauth/login', form, other.cookie), 403, 'invalid_request');
  });

  it('shows an expired request as an error page', async () => {
    const flow = await startFlow();
    const csrf = await csrfFor(flow);
    await prisma.authorizationRequest.update({
      where: { id: flow.requestId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const form = { request: flow.requestId, csrf_token: csrf, username: 'alice', password: PASSWORD };
    const page = await expectErrorPage(await post('/oauth/login', form, flow.cookie), 400, 'invalid_request');
    expect(page).toMatch(/expired/);
    await expectErrorPage(
      await get(`/oauth/login?request=${flow.requestId}`, flow.cookie),
      400,
      'invalid_request',
    );
    await expectErrorPage(await get('/oauth/login?request=unknown'), 400, 'invalid_request');
  });

  it('turns a malformed form into a 400 page, not a 500', async () => {
    const flow = await startFlow();
    const res = await fetch(`${base}/oauth/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: flow.cookie },
      body: `request=${flow.requestId}&username=a&username=b`,
    });
    await expectErrorPage(res, 400, 'invalid_request');
  });
});

describe('consent', () => {
  async function toConsent(user = 'alice', overrides: Record<string, string | undefined> = {}) {
    const flow = await startFlow(overrides);
    const res = await logIn(flow, user);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${base}/oauth/consent?request=${flow.requestId}`);
    const page = await get(res.headers.get('location')!, flow.cookie);
    expect(page.status).toBe(200);
    const html = await page.text();
    return { flow, html, csrf: csrfOf(html)! };
  }

  it('is only shown after login', async () => {
    const flow = await startFlow();
    const res = await get(`/oauth/consent?request=${flow.requestId}`, flow.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${base}/oauth/login?request=${flow.requestId}`);
  });

  it('names the client, the redirect host, the resource and each scope, with Allow and Deny', async () => {
    const { html } = await toConsent('alice', { scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` });
    expect(html).toContain('Test &lt;App&gt;');
    expect(html).toContain('<span class="host">this computer (port 9876)</span>');
    expect(html).toContain(resource);
    expect(html).toContain(BASE_SCOPE);
    expect(html).toContain(IDENTITY_SCOPE);
    expect(html).toContain('See your username on this server');
    expect(html).toMatch(/<button[^>]*name="decision"[^>]*value="approve"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button[^>]*name="decision"[^>]*value="deny"[^>]*>Deny<\/button>/);
  });

  it('refuses a post without the CSRF token (403)', async () => {
    const { flow } = await toConsent();
    const res = await post('/oauth/consent', { request: flow.requestId, decision: 'approve' }, flow.cookie);
    await expectErrorPage(res, 403, 'invalid_request');
    // Nothing was consumed: the request still waits for a real answer.
    expect(await prisma.authorizationRequest.findUnique({ where: { id: flow.requestId } })).not.toBeNull();
  });

  it('refuses a post with a wrong CSRF token or without the binding cookie (403)', async () => {
    const { flow, csrf } = await toConsent();
    const wrong = await post(
      '/oauth/consent',
      { request: flow.requestId, csrf_token: `${csrf}x`, decision: 'approve' },
      flow.cookie,
    );
    await expectErrorPage(wrong, 403, 'invalid_request');
    const noCookie = await post('/oauth/consent', {
      request: flow.requestId,
      csrf_token: csrf,
      decision: 'approve',
    });
    await expectErrorPage(noCookie, 403, 'invalid_request');
  });

  it('refuses an unknown decision', async () => {
    const { flow, csrf } = await toConsent();
    const res = await post(
      '/oauth/consent',
      { request: flow.requestId, csrf_token: csrf, decision: 'maybe' },
      flow.cookie,
    );
    await expectErrorPage(res, 400, 'invalid_request');
  });

  it('deny answers access_denied at the redirect URI and ends the request', async () => {
    const { flow, csrf } = await toConsent();
    const res = await post(
      '/oauth/consent',
      { request: flow.requestId, csrf_token: csrf, decision: 'deny' },
      flow.cookie,
    );
    expect(redirectParams(res)).toMatchObject({ error: 'access_denied', state: 'state-123', iss: base });
    expect(await prisma.authorizationRequest.findUnique({ where: { id: flow.requestId } })).toBeNull();
  });

  it('approve issues a code stored by its hash, then a second authorization skips consent', async () => {
    const { flow, csrf } = await toConsent('bob');
    const before = Date.now();
    const res = await post(
      '/oauth/consent',
      { request: flow.requestId, csrf_token: csrf, decision: 'approve' },
      flow.cookie,
    );
    const params = redirectParams(res);
    expect(params).toMatchObject({ state: 'state-123', iss: base });
    expect(params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const bob = await prisma.user.findUniqueOrThrow({ where: { username: 'bob' } });
    const row = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(params.code!) },
    });
    expect(row).toMatchObject({
      clientId: CLIENT_ID,
      userId: bob.id,
      redirectUri: REDIRECT_URI,
      scopes: [BASE_SCOPE],
      resource,
      codeChallenge: challenge,
      usedAt: null,
    });
    expect(row.familyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 59_000);
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(await prisma.authorizationRequest.findUnique({ where: { id: flow.requestId } })).toBeNull();
    const consent = await prisma.consent.findUniqueOrThrow({
      where: { userId_clientId_resource: { userId: bob.id, clientId: CLIENT_ID, resource } },
    });
    expect(consent.scopes).toEqual([BASE_SCOPE]);

    // The same request again: logging in is enough.
    const again = await startFlow({ state: 'second' });
    const direct = redirectParams(await logIn(again, 'bob'));
    expect(direct).toMatchObject({ state: 'second', iss: base });
    expect(direct.code).not.toBe(params.code);
    expect(await prisma.authorizationCode.count({ where: { codeHash: sha256(direct.code!) } })).toBe(1);

    // A replayed consent post for the finished request mints nothing.
    const replay = await post(
      '/oauth/consent',
      { request: flow.requestId, csrf_token: csrf, decision: 'approve' },
      flow.cookie,
    );
    await expectErrorPage(replay, 400, 'invalid_request');
  });

  it('asks again for a scope not yet allowed, and remembers the union', async () => {
    const first = await toConsent('alice');
    redirectParams(
      await post(
        '/oauth/consent',
        { request: first.flow.requestId, csrf_token: first.csrf, decision: 'approve' },
        first.flow.cookie,
      ),
    );
    const { flow, csrf } = await toConsent('alice', { scope: IDENTITY_SCOPE });
    const params = redirectParams(
      await post(
        '/oauth/consent',
        { request: flow.requestId, csrf_token: csrf, decision: 'approve' },
        flow.cookie,
      ),
    );
    expect(params.code).toBeTruthy();
    const alice = await prisma.user.findUniqueOrThrow({ where: { username: 'alice' } });
    const consent = await prisma.consent.findUniqueOrThrow({
      where: { userId_clientId_resource: { userId: alice.id, clientId: CLIENT_ID, resource } },
    });
    expect(consent.scopes.sort()).toEqual([BASE_SCOPE, IDENTITY_SCOPE].sort());
  });

  it('sends the code to the loopback port the client asked for', async () => {
    const flow = await startFlow({ redirect_uri: 'http://127.0.0.1:5555/callback' });
    const res = await logIn(flow, 'bob');
    const params = redirectParams(res, 'http://127.0.0.1:5555/callback');
    const row = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(params.code!) },
    });
    expect(row.redirectUri).toBe('http://127.0.0.1:5555/callback');
  });
});

it('leaves other paths to other apps', async () => {
  const res = await get('/oauth/token');
  expect(res.status).toBe(404);
  expect(await res.text()).toContain('Cannot GET /oauth/token');
});

describe('in Chromium', () => {
  let browser: Browser;
  let listener: Server;
  let callback: string;
  const received: URL[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    // The client's loopback listener (RFC 8252), on a port other than the registered one.
    listener = createServer((req, res) => {
      received.push(new URL(req.url!, callback));
      res.end('<p>Done. You can close this tab.</p>');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => listener?.close(resolve));
  });

  // Chromium applies form-action to the 303 after the consent post; a policy that allowed only
  // 'self' would stop the browser before it reached the client.
  it('logs in, consents and reaches the redirect URI, with no CSP violation on the way', async () => {
    await createUser(prisma, 'carol', PASSWORD);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await logInAndConsent(page, authorizeUrl({ redirect_uri: callback }), {
      username: 'carol',
      password: PASSWORD,
    });
    expect(new URL(page.url()).pathname).toBe('/callback');
    expect(await page.content()).toContain('You can close this tab');
    const answer = received.find((u) => u.pathname === '/callback')!;
    expect(answer.searchParams.get('state')).toBe('state-123');
    expect(answer.searchParams.get('iss')).toBe(base);
    const code = answer.searchParams.get('code')!;
    expect(await prisma.authorizationCode.count({ where: { codeHash: sha256(code) } })).toBe(1);
    expect(violations).toEqual([]);
    await page.close();
  });
});
