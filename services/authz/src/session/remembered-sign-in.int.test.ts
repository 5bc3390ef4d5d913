import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASE_SCOPE, IDENTITY_SCOPE, sha256, type PrismaClient } from '@mcp-auth/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  startAuthorizeServer,
  type AuthorizeServer,
} from '../../../../test/support/authorize-server.ts';
import { launchBrowser } from '../../../../test/support/browser.ts';
import { signOutEverywhere } from '../revocation/sign-out.ts';
import { createUser, setPassword } from '../users.ts';

// The remembered sign-in as a person meets it, in Chromium: one context is one browser profile,
// so its cookies carry from one authorization to the next.
const PASSWORD = 'correct horse battery';

let server: AuthorizeServer;
let prisma: PrismaClient;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let listener: Server;
let callback: string;
let userId: string;

beforeAll(async () => {
  server = await startAuthorizeServer();
  ({ prisma, base } = server);
  const client = {
    tokenEndpointAuthMethod: 'none',
    responseTypes: ['code'],
    grantTypes: ['authorization_code'],
    metadata: {},
    // The CLI's kind of redirect: loopback, any port (RFC 8252 §7.3).
    redirectUris: ['http://127.0.0.1:9876/callback'],
  };
  await prisma.oAuthClient.createMany({
    data: ['first-app', 'second-app', 'third-app'].map((id) => ({ ...client, id, clientName: id })),
  });
  userId = (await createUser(prisma, 'carol', PASSWORD)).id;
  listener = createServer((_req, res) => res.end('<p>Done. You can close this tab.</p>'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  browser = await launchBrowser();
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => listener?.close(resolve));
  await server?.close();
});

const authorizeUrl = (clientId: string, params: Record<string, string> = {}) =>
  authorizationUrl(base, { clientId, redirectUri: callback }, params);

/** Where the browser is: our login or consent page, or the client's redirect URI with its answer. */
function where(): { at: string; answer: Record<string, string> } {
  const url = new URL(page.url());
  const at = url.href.startsWith(callback) ? 'client' : url.pathname.replace('/oauth/', '');
  return { at, answer: Object.fromEntries(url.searchParams) };
}

const passwordFields = () => page.locator('input[type="password"]').count();

async function submit(button: string) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
}

async function typePassword() {
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Password').fill(PASSWORD);
  await submit('Sign in');
}

async function sessionCookie() {
  // Asked for the URL it is sent to: its path is /oauth, so the site's root would not show it.
  return (await context.cookies(`${base}/oauth/authorize`)).find((c) => c.name === 'mcp_auth_session');
}

async function expectCode() {
  const { at, answer } = where();
  expect(at).toBe('client');
  expect(answer).toMatchObject({ state: 'st', iss: base });
  expect(await prisma.authorizationCode.count({ where: { codeHash: sha256(answer.code ?? '') } })).toBe(1);
}

// Each password typed costs one scrypt (N=2^17), which takes many seconds on a loaded machine.
describe('remembered sign-in in Chromium', { timeout: 90_000 }, () => {
  it('logs in once: password, then consent; the session cookie is HttpOnly, SameSite=Lax, under /oauth', async () => {
    await page.goto(authorizeUrl('first-app'));
    expect(where().at).toBe('login');
    await typePassword();
    expect(where().at).toBe('consent');
    await submit('Allow');
    await expectCode();

    const cookie = (await sessionCookie())!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/oauth' });
    // Persistent (survives a browser restart) until the absolute lifetime, 7 days by default.
    expect(cookie.expires * 1000).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
    // No script on our pages can read it.
    await page.goto(`${base}/oauth/logout`);
    expect(await page.evaluate<string>('document.cookie')).not.toContain('mcp_auth_session');
  });

  it('a second client asks only for consent: no password form', async () => {
    await page.goto(authorizeUrl('second-app'));
    expect(where().at).toBe('consent');
    expect(await passwordFields()).toBe(0);
    expect(await page.content()).toContain('Signed in as <strong>carol</strong>');
    await submit('Allow');
    await expectCode();
  });

  it('a step-up to more scopes asks only for consent, and a repeat asks nothing at all', async () => {
    await page.goto(authorizeUrl('first-app', { scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` }));
    expect(where().at).toBe('consent');
    expect(await passwordFields()).toBe(0);
    expect(await page.content()).toContain(IDENTITY_SCOPE);
    await submit('Allow');
    await expectCode();

    await page.goto(authorizeUrl('first-app', { scope: IDENTITY_SCOPE }));
    await expectCode();
  });

  it('prompt=none: a code with session and consent, consent_required without the consent', async () => {
    await page.goto(authorizeUrl('second-app', { prompt: 'none' }));
    await expectCode();
    await page.goto(authorizeUrl('third-app', { prompt: 'none' }));
    expect(where()).toMatchObject({
      at: 'client',
      answer: { error: 'consent_required', state: 'st', iss: base },
    });
  });

  it('prompt=login and max_age=0 show the password form; a login replaces the session', async () => {
    const before = (await sessionCookie())!.value;
    await page.goto(authorizeUrl('first-app', { prompt: 'login' }));
    expect(where().at).toBe('login');
    await typePassword();
    await expectCode();
    const after = (await sessionCookie())!.value;
    expect(after).not.toBe(before);
    expect(await prisma.session.count({ where: { idHash: sha256(decodeURIComponent(before)) } })).toBe(0);

    await page.goto(authorizeUrl('first-app', { max_age: '0' }));
    expect(where().at).toBe('login');
    expect(await passwordFields()).toBe(1);
  });

  it('after signing out, the next authorization asks for the password', async () => {
    await page.goto(`${base}/oauth/logout`);
    expect(await page.content()).toContain('Signed in as <strong>carol</strong>');
    await submit('Sign out');
    expect(await page.getByRole('heading').textContent()).toBe('You are signed out');
    expect(await sessionCookie()).toBeUndefined();
    expect(await prisma.session.count({ where: { userId } })).toBe(0);

    await page.goto(authorizeUrl('first-app'));
    expect(where().at).toBe('login');
    await page.goto(authorizeUrl('first-app', { prompt: 'none' }));
    expect(where()).toMatchObject({ at: 'client', answer: { error: 'login_required', state: 'st' } });
  });

  it('a password change ends the session', async () => {
    await page.goto(authorizeUrl('first-app'));
    await typePassword();
    await expectCode();
    await page.goto(authorizeUrl('first-app'));
    await expectCode();

    await setPassword(prisma, 'carol', 'another long password');
    await signOutEverywhere(server.deps, userId);
    await page.goto(authorizeUrl('first-app'));
    expect(where().at).toBe('login');
    expect(await passwordFields()).toBe(1);
  });
});
