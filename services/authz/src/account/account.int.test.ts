import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASE_SCOPE, type PrismaClient } from '@mcp-auth/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAllInOneServer, type AllInOneServer } from '../../../../test/support/all-in-one-server.ts';
import { launchBrowser, logInAndConsent } from '../../../../test/support/browser.ts';
import {
  callMcp,
  challengeError,
  redeemCode,
  refreshTokens,
  tokenSetOf,
  type TokenSet,
} from '../../../../test/support/oauth-flow.ts';
import { createUser } from '../users.ts';

// The connected-apps page as a person meets it, in Chromium, over the whole public surface (the
// all-in-one app): the MCP endpoint is the real one, so a withdrawn access token is seen refused.
const PASSWORD = 'correct horse battery';
let server: AllInOneServer;
let prisma: PrismaClient;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let listener: Server;
let callback: string;
const client = { clientId: 'notes-app' };

beforeAll(async () => {
  server = await startAllInOneServer();
  ({ prisma, base } = server);
  listener = createServer((_req, res) => res.end('<p>Done. You can close this tab.</p>'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  await prisma.oAuthClient.create({
    data: {
      id: client.clientId,
      clientName: 'Notes <app>',
      tokenEndpointAuthMethod: 'none',
      responseTypes: ['code'],
      grantTypes: ['authorization_code', 'refresh_token'],
      metadata: {},
      redirectUris: [callback],
    },
  });
  await createUser(prisma, 'erin', PASSWORD);
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => listener?.close(resolve));
  await server?.close();
});

/** A real authorization in the browser (login, consent), then the code redeemed as the app would. */
async function authorizeInBrowser(): Promise<TokenSet> {
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
  await logInAndConsent(page, url.toString(), { username: 'erin', password: PASSWORD });
  const answer = new URL(page.url());
  expect(answer.href.startsWith(callback)).toBe(true);
  const code = answer.searchParams.get('code') ?? '';
  return tokenSetOf(await redeemCode(base, client, { code, verifier }, callback));
}

const withdrawButton = () => page.getByRole('button', { name: 'Withdraw access for Notes <app>' });

describe('connected apps in Chromium', { timeout: 90_000 }, () => {
  let tokens: TokenSet;

  it('lists the app a person allowed, with its scopes, server, and when it was allowed and used', async () => {
    tokens = await authorizeInBrowser();
    expect((await callMcp(`${base}/mcp`, tokens.accessToken)).status).toBe(200);

    await page.goto(`${base}/account`);
    expect(new URL(page.url()).pathname).toBe('/oauth/account');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Connected apps');
    const card = page.locator('li.app');
    expect(await card.count()).toBe(1);
    // The client's chosen name is shown as text, never as markup.
    expect(await card.getByRole('heading').textContent()).toBe('Notes <app>');
    const text = (await card.textContent()) ?? '';
    expect(text).toContain(BASE_SCOPE);
    expect(text).toContain(`${base}/mcp`);
    expect(text).not.toContain('Not yet');
    expect(await page.content()).toContain('Signed in as <strong>erin</strong>');
    expect(await page.locator('a[href="logout"]').count()).toBe(1);
  });

  it('refuses a withdrawal whose CSRF token is missing or wrong (403), and withdraws nothing', async () => {
    const form = { client_id: client.clientId, resource: `${base}/mcp` };
    // Same browser profile, so the session cookie goes along: only the token is wrong.
    const missing = await page.request.post(`${base}/oauth/account/withdraw`, { form, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    const wrong = await page.request.post(`${base}/oauth/account/withdraw`, {
      form: { ...form, csrf_token: 'x'.repeat(43) },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    expect(await wrong.text()).toContain('CSRF check failed');
    expect(await prisma.consent.count()).toBe(1);
    expect((await callMcp(`${base}/mcp`, tokens.accessToken)).status).toBe(200);
  });

  it('Withdraw ends the grant: the refresh token is invalid_grant, the access token is refused', async () => {
    await page.goto(`${base}/oauth/account`);
    await Promise.all([page.waitForNavigation(), withdrawButton().click()]);
    expect(await page.getByRole('status').textContent()).toContain(
      'Notes <app> can no longer use your account',
    );
    expect(await page.locator('li.app').count()).toBe(0);
    expect(await prisma.consent.count()).toBe(0);

    const refreshed = await refreshTokens(base, client, tokens.refreshToken!);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
    const call = await callMcp(`${base}/mcp`, tokens.accessToken);
    expect(call.status).toBe(401);
    expect(challengeError(call)).toBe('invalid_token');
    const events = await waitForAudit('consent.withdrawn');
    expect(events[0]).toMatchObject({ clientId: client.clientId, outcome: 'success' });
  });

  it('the next authorization asks for consent again', async () => {
    tokens = await authorizeInBrowser();
    expect(await prisma.consent.count()).toBe(1);
  });

  it('signed out, /account asks for the password first and then shows the apps', async () => {
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    try {
      await other.goto(`${base}/account`);
      expect(await other.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
      expect(await other.content()).toContain('your connected apps');
      await other.getByLabel('Username').fill('erin');
      await other.getByLabel('Password').fill('wrong password');
      await Promise.all([other.waitForNavigation(), other.getByRole('button', { name: 'Sign in' }).click()]);
      expect(await other.getByRole('alert').textContent()).toContain('Incorrect username or password');
      await other.getByLabel('Password').fill(PASSWORD);
      await Promise.all([other.waitForNavigation(), other.getByRole('button', { name: 'Sign in' }).click()]);
      expect(new URL(other.url()).pathname).toBe('/oauth/account');
      expect(await other.locator('li.app').count()).toBe(1);
      // The sign-in form is CSRF-protected too: a post without the cookie's token is refused.
      const forged = await fresh.request.post(`${base}/oauth/account/sign-in`, {
        form: { username: 'erin', password: PASSWORD, csrf_token: 'forged' },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
    } finally {
      await fresh.close();
    }
  });
});

/** The audit log writes in batches; wait for the batch holding this event. */
async function waitForAudit(type: string) {
  for (let i = 0; i < 100; i++) {
    const rows = await prisma.auditEvent.findMany({ where: { type } });
    if (rows.length > 0) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${type} audit event`);
}
