import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASE_SCOPE, createLogger, type PrismaClient } from '@mcp-auth/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAllInOneServer, type AllInOneServer } from '../../../../test/support/all-in-one-server.ts';
import {
  startAuthorizeServer,
  authorizationUrl,
  type AuthorizeServer,
} from '../../../../test/support/authorize-server.ts';
import { launchBrowser } from '../../../../test/support/browser.ts';
import { redeemCode, tokenSetOf } from '../../../../test/support/oauth-flow.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../../../../test/support/upstream-oidc.ts';
import { authenticate } from '../authorize/authenticate.ts';
import { UPSTREAM_COOKIE } from './sign-in-cookie.ts';

// Signing in through a real upstream OpenID Connect provider (node-oidc-provider on loopback), in
// Chromium, over the whole public surface: our authorize → the provider's login → back → our
// consent → code → token → an MCP tool call. Then what must fail, fails with its own error.
let server: AllInOneServer;
let idp: UpstreamIdp;
let prisma: PrismaClient;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let listener: Server;
let callback: string;
const client = { clientId: 'idp-app' };

beforeAll(async () => {
  listener = createServer((_req, res) => res.end('<p>Done.</p>'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  server = await startAllInOneServer({
    env: async (url) => {
      idp = await startUpstreamIdp(`${url}/oauth/upstream/callback`);
      return {
        UPSTREAM_OIDC_ISSUER: idp.issuer,
        UPSTREAM_OIDC_CLIENT_ID: idp.clientId,
        UPSTREAM_OIDC_CLIENT_SECRET: idp.clientSecret,
        UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS: 'allowed.test',
        UPSTREAM_OIDC_DISPLAY_NAME: 'Test IdP',
      };
    },
  });
  ({ prisma, base } = server);
  await prisma.oAuthClient.create({
    data: {
      id: client.clientId,
      clientName: 'IdP app',
      tokenEndpointAuthMethod: 'none',
      responseTypes: ['code'],
      grantTypes: ['authorization_code', 'refresh_token'],
      metadata: {},
      redirectUris: [callback],
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => listener?.close(resolve));
  await server?.close();
  await idp?.close();
});

/** A fresh browser profile that reaches loopback only (the provider's page imports a web font). */
async function freshPage(): Promise<Page> {
  await context?.close();
  context = await browser.newContext();
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  page = await context.newPage();
  return page;
}

function startAuthorization(): { url: string; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/oauth/authorize', base);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: callback,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'st',
    scope: BASE_SCOPE,
    resource: `${base}/mcp`,
  }).toString();
  return { url: url.toString(), verifier };
}

async function click(name: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name }).first().click()]);
}

/** On our login page: Continue with Test IdP, then the provider's own login (and its consent). */
async function signInUpstream(login: string, beforeReturning?: () => Promise<void>) {
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('link', { name: 'Continue with Test IdP' }).click(),
  ]);
  expect(new URL(page.url()).origin).toBe(idp.issuer);
  await beforeReturning?.();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await click('Sign-in');
  // The provider asks its own consent the first time for this client.
  if (new URL(page.url()).origin === idp.issuer) await click('Continue');
}

async function errorOnPage() {
  return { heading: await page.getByRole('heading', { level: 1 }).textContent(), text: await page.content() };
}

describe('login through the upstream identity provider, in Chromium', { timeout: 90_000 }, () => {
  it('authorize → provider login → back → consent → code → token → MCP tool call', async () => {
    await freshPage();
    const { url, verifier } = startAuthorization();
    await page.goto(url);
    // Beside the password form: both are offered.
    expect(await page.locator('input[type="password"]').count()).toBe(1);
    await signInUpstream('alice');
    expect(new URL(page.url()).pathname).toBe('/oauth/consent');
    expect(await page.content()).toContain('Signed in as <strong>alice@allowed.test</strong>');
    await click('Allow');
    const answer = new URL(page.url());
    expect(answer.href.startsWith(callback)).toBe(true);
    expect(answer.searchParams.get('iss')).toBe(base);
    const tokens = tokenSetOf(
      await redeemCode(base, client, { code: answer.searchParams.get('code') ?? '', verifier }, callback),
    );
    const call = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'via the upstream provider' } },
      }),
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toContain('via the upstream provider');

    // Created just in time, linked by iss + sub, with no password: password login refuses it.
    const identity = await prisma.userIdentity.findUniqueOrThrow({
      where: { issuer_subject: { issuer: idp.issuer, subject: 'alice' } },
      include: { user: true },
    });
    expect(identity.user).toMatchObject({ username: 'alice@allowed.test', passwordHash: null });
    expect(
      await authenticate(prisma, createLogger('test', 'silent'), 'alice@allowed.test', ''),
    ).toMatchObject({ reason: 'bad_password' });
  });

  it('a second sign-in finds the same user (no duplicate), and the session is remembered', async () => {
    await freshPage();
    await page.goto(startAuthorization().url);
    await signInUpstream('alice');
    expect(await prisma.user.count({ where: { username: { startsWith: 'alice' } } })).toBe(1);
    // Remembered sign-in: the next authorization goes straight through (consent is remembered).
    await page.goto(startAuthorization().url);
    expect(page.url().startsWith(callback)).toBe(true);
  });

  it('a user outside the allowed email domains is refused (403 access_denied), and not created', async () => {
    await freshPage();
    await page.goto(startAuthorization().url);
    const response = page.waitForResponse((r) => r.url().includes('/oauth/upstream/callback'));
    await signInUpstream('mallory@elsewhere.test');
    expect((await response).status()).toBe(403);
    const { text } = await errorOnPage();
    expect(text).toContain('access_denied');
    expect(text).toContain('email domain elsewhere.test is not allowed');
    expect(await prisma.userIdentity.count({ where: { subject: 'mallory@elsewhere.test' } })).toBe(0);
  });

  it('a state that does not match the sign-in this browser started is refused (400)', async () => {
    await freshPage();
    await page.goto(startAuthorization().url);
    await Promise.all([
      page.waitForNavigation(),
      page.getByRole('link', { name: 'Continue with Test IdP' }).click(),
    ]);
    const forged = await page.goto(`${base}/oauth/upstream/callback?code=stolen&state=forged`);
    expect(forged?.status()).toBe(400);
    expect((await errorOnPage()).text).toContain('state mismatch');
  });

  it('an ID token whose nonce is not the one sent is refused (401 invalid_token)', async () => {
    await freshPage();
    await page.goto(startAuthorization().url);
    const response = page.waitForResponse((r) => r.url().includes('/oauth/upstream/callback'));
    await signInUpstream('bob', async () => {
      // While the person is at the provider, the nonce our side expects changes: the ID token the
      // provider then issues carries the nonce actually sent, which no longer matches.
      const [cookie] = (await context.cookies(`${base}/oauth/upstream/callback`)).filter(
        (c) => c.name === UPSTREAM_COOKIE,
      );
      const value = JSON.parse(Buffer.from(cookie!.value, 'base64url').toString()) as Record<string, string>;
      const tampered = Buffer.from(JSON.stringify({ ...value, nonce: 'not-the-nonce-sent' })).toString(
        'base64url',
      );
      await context.addCookies([{ ...cookie!, value: tampered }]);
    });
    expect((await response).status()).toBe(401);
    const { text } = await errorOnPage();
    expect(text).toContain('invalid_token');
    expect(await prisma.userIdentity.count({ where: { subject: 'bob' } })).toBe(0);
    // Refused by openid-client's nonce check, and audited as a failed login.
    const failure = await waitForAudit((e) => JSON.stringify(e.detail).includes('nonce'));
    expect(failure).toMatchObject({ type: 'login.failed', detail: { method: 'oidc' } });
  });

  it('the connected-apps page signs in through the provider too, and comes back', async () => {
    await freshPage();
    await page.goto(`${base}/account`);
    await signInUpstream('alice');
    expect(new URL(page.url()).pathname).toBe('/oauth/account');
    expect(await page.content()).toContain('Signed in as <strong>alice@allowed.test</strong>');
    expect(await page.locator('li.app').count()).toBe(1);
  });

  it('a user the operator disabled is refused (403), whatever the provider says', async () => {
    await prisma.user.update({ where: { username: 'alice@allowed.test' }, data: { disabledAt: new Date() } });
    await freshPage();
    await page.goto(startAuthorization().url);
    const response = page.waitForResponse((r) => r.url().includes('/oauth/upstream/callback'));
    await signInUpstream('alice');
    expect((await response).status()).toBe(403);
    expect((await errorOnPage()).text).toContain('This account is disabled here');
  });
});

/** The audit log writes in batches; wait for the event. */
async function waitForAudit(match: (e: { type: string; detail: unknown }) => boolean) {
  for (let i = 0; i < 100; i++) {
    const found = (await prisma.auditEvent.findMany({ where: { type: 'login.failed' } })).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `no such audit event: ${JSON.stringify((await prisma.auditEvent.findMany({ where: { type: 'login.failed' } })).map((e) => e.detail))}`,
  );
}

describe('upstream down, and passwords switched off', { timeout: 60_000 }, () => {
  let down: AuthorizeServer;
  beforeAll(async () => {
    // A loopback port that was just free: nothing answers there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    down = await startAuthorizeServer({
      UPSTREAM_OIDC_ISSUER: `http://127.0.0.1:${closedPort}`,
      UPSTREAM_OIDC_CLIENT_ID: 'mcp-auth',
      UPSTREAM_OIDC_REQUIRED_CLAIM: 'groups=mcp',
      UPSTREAM_OIDC_DISPLAY_NAME: 'Test IdP',
      PASSWORD_LOGIN: 'false',
    });
    await down.prisma.oAuthClient.create({
      data: {
        id: client.clientId,
        tokenEndpointAuthMethod: 'none',
        responseTypes: ['code'],
        grantTypes: ['authorization_code'],
        metadata: {},
        redirectUris: [callback],
      },
    });
  });
  afterAll(async () => {
    await down?.close();
  });

  it('the login page offers only the provider; a password post is refused (403)', async () => {
    await freshPage();
    await page.goto(authorizationUrl(down.base, { clientId: client.clientId, redirectUri: callback }));
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Continue with Test IdP' }).count()).toBe(1);
    // A post that passes every other check (this browser's request, its CSRF token).
    const request = new URL(page.url()).searchParams.get('request') ?? '';
    const flow = await down.prisma.authorizationRequest.findUniqueOrThrow({ where: { id: request } });
    const posted = await page.request.post(`${down.base}/oauth/login`, {
      form: { request, csrf_token: flow.csrfToken, username: 'x', password: 'y' },
    });
    expect(posted.status()).toBe(403);
    expect(await posted.text()).toContain('Signing in with a password is switched off here');
  });

  it('with the provider unreachable, Continue shows a clear page (503), not a server error', async () => {
    await page.goto(authorizationUrl(down.base, { clientId: client.clientId, redirectUri: callback }));
    const response = page.waitForResponse((r) => r.url().includes('/oauth/upstream/start'));
    await page.getByRole('link', { name: 'Continue with Test IdP' }).click();
    expect((await response).status()).toBe(503);
    const { text } = await errorOnPage();
    expect(text).toContain('Test IdP cannot be reached');
  });
});
