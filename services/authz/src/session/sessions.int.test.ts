import { BASE_SCOPE, IDENTITY_SCOPE, sha256, type PrismaClient } from '@mcp-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  startAuthorizeServer,
  type AuthorizeServer,
} from '../../../../test/support/authorize-server.ts';
import { runHousekeeping } from '../housekeeping.ts';
import { signOutEverywhere } from '../revocation/sign-out.ts';
import { createUser } from '../users.ts';
import { findSession, newSession, storeSessionSql } from './sessions.ts';

const LOOPBACK = 'http://127.0.0.1:9876/callback';
const APP = 'https://app.example/callback';
const PASSWORD = 'correct horse battery';
const HOUR = 3600_000;

let server: AuthorizeServer;
let prisma: PrismaClient;
let base: string;
let aliceId: string;

beforeAll(async () => {
  server = await startAuthorizeServer({ SESSION_IDLE_TTL: '3600', SESSION_MAX_LIFETIME: '86400' });
  ({ prisma, base } = server);
  const client = { responseTypes: ['code'], grantTypes: ['authorization_code'], metadata: {} };
  await prisma.oAuthClient.createMany({
    data: [
      { ...client, id: 'cli', tokenEndpointAuthMethod: 'none', redirectUris: [LOOPBACK] },
      { ...client, id: 'other-cli', tokenEndpointAuthMethod: 'none', redirectUris: [LOOPBACK] },
      // A public client whose answer goes to a URL some app claims (RFC 8252 §8.6).
      { ...client, id: 'public-app', tokenEndpointAuthMethod: 'none', redirectUris: [APP] },
      {
        ...client,
        id: 'private-scheme',
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['com.example.app:/cb'],
      },
      // The same redirect for a client that authenticates at the token endpoint.
      { ...client, id: 'web-app', tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [APP] },
    ],
  });
  aliceId = (await createUser(prisma, 'alice', PASSWORD)).id;
});

afterAll(async () => {
  await server?.close();
});

/** A cookie jar and the requests a browser would send; redirects are returned, not followed. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string | URL): Promise<Response> {
    return this.keep(await fetch(new URL(url, base), { redirect: 'manual', headers: this.header() }));
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const headers = { ...this.header(), 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(form);
    return this.keep(await fetch(new URL(path, base), { method: 'POST', redirect: 'manual', headers, body }));
  }

  private header(): Record<string, string> {
    const pairs = [...this.cookies].map(([k, v]) => `${k}=${v}`);
    return pairs.length ? { cookie: pairs.join('; ') } : {};
  }

  private keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (value === '' || /Expires=Thu, 01 Jan 1970/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

const REDIRECTS: Record<string, string> = {
  'public-app': APP,
  'web-app': APP,
  'private-scheme': 'com.example.app:/cb',
};
const authorizeUrl = (clientId: string, params: Record<string, string> = {}) =>
  authorizationUrl(base, { clientId, redirectUri: REDIRECTS[clientId] ?? LOOPBACK }, params);

/** Where a 303 goes: `login`, `consent`, or the client (with the answer's parameters). */
function outcome(res: Response): { to: 'login' | 'consent' | 'client'; params: Record<string, string> } {
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get('location')!);
  const params = Object.fromEntries(location.searchParams);
  if (location.href.startsWith(`${base}/oauth/login?`)) return { to: 'login', params };
  if (location.href.startsWith(`${base}/oauth/consent?`)) return { to: 'consent', params };
  return { to: 'client', params };
}

const csrfOf = async (res: Response) => /name="csrf_token" value="([^"]+)"/.exec(await res.text())![1]!;

/** A browser signed in as alice, without typing the password (the login itself is tested once). */
async function signedIn(): Promise<Browser> {
  const browser = new Browser();
  const { value, session } = newSession(server.deps.config, aliceId);
  await prisma.$queryRaw`WITH ${storeSessionSql(session, undefined)} SELECT 1`;
  browser.cookies.set('mcp_auth_session', value);
  return browser;
}

/** Types alice's password on the login page of this request; returns the answer to the post. */
async function typePassword(browser: Browser, request: string): Promise<Response> {
  const csrf = await csrfOf(await browser.get(`/oauth/login?request=${request}`));
  return browser.post('/oauth/login', { request, csrf_token: csrf, username: 'alice', password: PASSWORD });
}

async function approve(browser: Browser, consent: { params: Record<string, string> }) {
  const page = await browser.get(`/oauth/consent?request=${consent.params.request}`);
  expect(page.status).toBe(200);
  const csrf = await csrfOf(page);
  return outcome(
    await browser.post('/oauth/consent', {
      request: consent.params.request!,
      csrf_token: csrf,
      decision: 'approve',
    }),
  );
}

async function consentTo(clientId: string, scopes: string[]) {
  await prisma.consent.upsert({
    where: { userId_clientId_resource: { userId: aliceId, clientId, resource: server.resource } },
    create: {
      userId: aliceId,
      clientId,
      resource: server.resource,
      scopes,
      expiresAt: new Date(Date.now() + 3600_000),
    },
    update: { scopes },
  });
}

describe('a login', () => {
  it('starts a session: a random cookie whose hash is stored, and a new one at every login', async () => {
    const browser = new Browser();
    const start = outcome(await browser.get(authorizeUrl('cli')));
    expect(start.to).toBe('login');
    const before = Date.now();
    const loggedIn = await typePassword(browser, start.params.request!);
    expect(outcome(loggedIn).to).toBe('consent');
    const line = loggedIn.headers.getSetCookie().find((c) => c.startsWith('mcp_auth_session='))!;
    expect(line).toMatch(/; Path=\/oauth; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const value = decodeURIComponent(browser.cookies.get('mcp_auth_session')!);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = await prisma.session.findUniqueOrThrow({ where: { idHash: sha256(value) } });
    expect(row.userId).toBe(aliceId);
    expect(row.authTime.getTime()).toBeGreaterThanOrEqual(before);
    expect(row.absoluteExpiresAt.getTime()).toBe(row.authTime.getTime() + 24 * HOUR);
    expect(row.expiresAt.getTime()).toBe(row.lastSeenAt.getTime() + HOUR);
    expect(Date.parse(/Expires=([^;]+)/.exec(line)![1]!)).toBe(
      Math.floor(row.absoluteExpiresAt.getTime() / 1000) * 1000,
    );
    // The consent step, and the code, carry the time the password was typed.
    const answer = await approve(browser, outcome(loggedIn));
    const code = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(answer.params.code!) },
    });
    expect(code.authTime).toEqual(row.authTime);

    // prompt=login asks again, and the new login replaces the session (no fixation).
    const again = outcome(await browser.get(authorizeUrl('cli', { prompt: 'login' })));
    expect(again.to).toBe('login');
    const second = await typePassword(browser, again.params.request!);
    expect(outcome(second).to).toBe('client');
    const newValue = decodeURIComponent(browser.cookies.get('mcp_auth_session')!);
    expect(newValue).not.toBe(value);
    expect(await prisma.session.count({ where: { idHash: sha256(value) } })).toBe(0);
    expect(await prisma.session.count({ where: { idHash: sha256(newValue) } })).toBe(1);
  });
});

describe('with a remembered sign-in', () => {
  it('a client with a remembered consent gets its code at once, with the session auth_time', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    const browser = await signedIn();
    const answer = outcome(await browser.get(authorizeUrl('cli')));
    expect(answer).toMatchObject({ to: 'client', params: { state: 'st', iss: base } });
    const code = await prisma.authorizationCode.findUniqueOrThrow({
      where: { codeHash: sha256(answer.params.code!) },
    });
    const session = await prisma.session.findFirstOrThrow({
      where: { userId: aliceId },
      orderBy: { createdAt: 'desc' },
    });
    expect(code).toMatchObject({
      clientId: 'cli',
      userId: aliceId,
      redirectUri: LOOPBACK,
      scopes: [BASE_SCOPE],
    });
    expect(code.authTime).toEqual(session.authTime);
  });

  it('a new client, or a step-up, shows only the consent page', async () => {
    await prisma.consent.deleteMany({ where: { clientId: 'other-cli' } });
    const browser = await signedIn();
    const consent = outcome(await browser.get(authorizeUrl('other-cli')));
    expect(consent.to).toBe('consent');
    const page = await (await browser.get(`/oauth/consent?request=${consent.params.request}`)).text();
    expect(page).toContain('Signed in as <strong>alice</strong>');
    // Someone else at this browser can sign in instead, for the same request.
    const other = /<a href="([^"]+)">Not you\? Use another account<\/a>/
      .exec(page)![1]!
      .replace(/&amp;/g, '&');
    expect(other).toBe(`${base}/oauth/login?request=${consent.params.request}`);
    expect(await (await browser.get(other)).text()).toContain('name="password"');
    expect((await approve(browser, consent)).params.code).toBeTruthy();

    const stepUp = outcome(
      await browser.get(authorizeUrl('other-cli', { scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` })),
    );
    expect(stepUp.to).toBe('consent');
    expect((await approve(browser, stepUp)).params.code).toBeTruthy();
    expect(outcome(await browser.get(authorizeUrl('other-cli', { scope: IDENTITY_SCOPE }))).to).toBe(
      'client',
    );
  });

  it('prompt=consent shows the consent page although the consent is remembered', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    expect(outcome(await (await signedIn()).get(authorizeUrl('cli', { prompt: 'consent' }))).to).toBe(
      'consent',
    );
  });

  it('prompt=login and max_age=0 ask for the password; a max_age the sign-in is within does not', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    const browser = await signedIn();
    expect(outcome(await browser.get(authorizeUrl('cli', { prompt: 'login' }))).to).toBe('login');
    expect(outcome(await browser.get(authorizeUrl('cli', { max_age: '0' }))).to).toBe('login');
    expect(outcome(await browser.get(authorizeUrl('cli', { max_age: '3600' }))).to).toBe('client');
    // max_age counts from the password, not from the last use.
    const value = decodeURIComponent(browser.cookies.get('mcp_auth_session')!);
    await prisma.session.update({
      where: { idHash: sha256(value) },
      data: { authTime: new Date(Date.now() - 2 * HOUR) },
    });
    expect(outcome(await browser.get(authorizeUrl('cli', { max_age: '3600' }))).to).toBe('login');
  });

  it('a public client whose redirect is not loopback is asked every time (RFC 8252 §8.6)', async () => {
    for (const clientId of ['public-app', 'private-scheme', 'web-app'])
      await consentTo(clientId, [BASE_SCOPE]);
    const browser = await signedIn();
    expect(outcome(await browser.get(authorizeUrl('public-app'))).to).toBe('consent');
    expect(outcome(await browser.get(authorizeUrl('private-scheme'))).to).toBe('consent');
    const none = outcome(await browser.get(authorizeUrl('public-app', { prompt: 'none' })));
    expect(none).toMatchObject({ to: 'client', params: { error: 'consent_required', state: 'st' } });
    // A confidential client proves itself when it redeems the code: the remembered consent holds.
    expect(outcome(await browser.get(authorizeUrl('web-app'))).to).toBe('client');
  });

  it('ends after the idle lifetime, and use never extends it past the absolute one', async () => {
    const browser = await signedIn();
    const idHash = sha256(decodeURIComponent(browser.cookies.get('mcp_auth_session')!));
    const now = Date.now();
    await prisma.session.update({
      where: { idHash },
      data: {
        lastSeenAt: new Date(now - 2 * 60_000),
        expiresAt: new Date(now + 60_000),
        absoluteExpiresAt: new Date(now + 5 * 60_000),
      },
    });
    const found = await findSession(
      prisma,
      server.deps.config,
      decodeURIComponent(browser.cookies.get('mcp_auth_session')!),
    );
    expect(found!.expiresAt.getTime()).toBe(now + 5 * 60_000);
    expect((await prisma.session.findUniqueOrThrow({ where: { idHash } })).expiresAt.getTime()).toBe(
      now + 5 * 60_000,
    );

    await prisma.session.update({ where: { idHash }, data: { expiresAt: new Date(now - 1000) } });
    expect(outcome(await browser.get(authorizeUrl('cli'))).to).toBe('login');
    expect(await runHousekeeping(prisma)).toMatchObject({ sessions: 1 });
    expect(await prisma.session.count({ where: { idHash } })).toBe(0);
  });
});

describe('prompt=none never shows a page', () => {
  it('login_required without a session, also for a redirect that is not loopback', async () => {
    const none = outcome(await new Browser().get(authorizeUrl('cli', { prompt: 'none' })));
    expect(none).toMatchObject({ to: 'client', params: { error: 'login_required', state: 'st', iss: base } });
    const app = await new Browser().get(authorizeUrl('public-app', { prompt: 'none' }));
    expect(app.headers.get('location')).toMatch(/^https:\/\/app\.example\/callback\?error=login_required&/);
  });

  it('consent_required when consent is needed, and a code when it is not', async () => {
    await prisma.consent.deleteMany({ where: { clientId: 'cli' } });
    const browser = await signedIn();
    const pending = await prisma.authorizationRequest.count();
    const needed = outcome(await browser.get(authorizeUrl('cli', { prompt: 'none' })));
    expect(needed).toMatchObject({
      to: 'client',
      params: { error: 'consent_required', state: 'st', iss: base },
    });
    await consentTo('cli', [BASE_SCOPE]);
    const ok = outcome(await browser.get(authorizeUrl('cli', { prompt: 'none' })));
    expect(ok.params.code).toBeTruthy();
    // Nothing waits for a page that will never be shown.
    expect(await prisma.authorizationRequest.count()).toBe(pending);
  });

  it('with max_age=0 a session is not enough: login_required', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    const none = outcome(await (await signedIn()).get(authorizeUrl('cli', { prompt: 'none', max_age: '0' })));
    expect(none.params.error).toBe('login_required');
  });

  it('an unknown prompt value, none with another, or a bad max_age is invalid_request', async () => {
    const cases: Record<string, string>[] = [
      { prompt: 'select_account' },
      { prompt: 'none consent' },
      { max_age: 'soon' },
    ];
    for (const params of cases) {
      const res = outcome(await new Browser().get(authorizeUrl('cli', params)));
      expect(res).toMatchObject({ to: 'client', params: { error: 'invalid_request', state: 'st' } });
    }
  });
});

describe('signing out', () => {
  it('asks first, refuses a post without its token, then ends the session and clears the cookies', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    const browser = await signedIn();
    const value = decodeURIComponent(browser.cookies.get('mcp_auth_session')!);
    // A consent page in progress in this browser.
    const pending = outcome(await browser.get(authorizeUrl('cli', { prompt: 'consent' })));
    const pendingCsrf = await csrfOf(await browser.get(`/oauth/consent?request=${pending.params.request}`));

    const confirm = await browser.get('/oauth/logout');
    expect(confirm.status).toBe(200);
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    expect(confirm.headers.get('content-security-policy')).toContain("form-action 'self';");
    const html = await confirm.text();
    expect(html).toContain('Signed in as <strong>alice</strong>');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;

    expect((await browser.post('/oauth/logout', {})).status).toBe(403);
    expect((await browser.post('/oauth/logout', { csrf_token: `${csrf}x` })).status).toBe(403);
    expect(await prisma.session.count({ where: { idHash: sha256(value) } })).toBe(1);

    const done = await browser.post('/oauth/logout', { csrf_token: csrf });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You are signed out');
    expect(await prisma.session.count({ where: { idHash: sha256(value) } })).toBe(0);
    expect(browser.cookies.has('mcp_auth_session')).toBe(false);
    expect(browser.cookies.has('mcp_auth_flow')).toBe(false);
    await server.deps.audit!.flush();
    const signedOut = await prisma.auditEvent.findMany({ where: { type: 'user.signed_out' } });
    expect(signedOut.map((e) => e.detail)).toEqual([{ reason: 'logout_page' }]);

    // The consent page left open cannot finish, and the next authorization asks for the password.
    const late = await browser.post('/oauth/consent', {
      request: pending.params.request!,
      csrf_token: pendingCsrf,
      decision: 'approve',
    });
    expect(late.status).toBe(403);
    expect(outcome(await browser.get(authorizeUrl('cli'))).to).toBe('login');
    expect(await (await browser.get('/oauth/logout')).text()).toContain('You are not signed in');
  });

  it('a malformed session cookie counts as none: the password is asked, nothing fails', async () => {
    for (const value of ['%00', '%E0%A4%A', 'x'.repeat(4000), '', '"quoted"']) {
      const browser = new Browser();
      browser.cookies.set('mcp_auth_session', value);
      expect(outcome(await browser.get(authorizeUrl('cli'))).to).toBe('login');
      expect((await browser.get('/oauth/logout')).status).toBe(200);
    }
  });

  it('a stale cookie is simply cleared; a malformed form is a 400 page', async () => {
    const browser = new Browser();
    browser.cookies.set('mcp_auth_session', 'no-such-session');
    const res = await browser.post('/oauth/logout', {});
    expect(res.status).toBe(200);
    expect(browser.cookies.has('mcp_auth_session')).toBe(false);
    const twice = await fetch(`${base}/oauth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf_token=a&csrf_token=b',
    });
    expect(twice.status).toBe(400);
  });

  it('a password change ends every session of the user, and the sign-ins they had started', async () => {
    await consentTo('cli', [BASE_SCOPE]);
    const [one, two] = [await signedIn(), await signedIn()];
    const pending = outcome(await one.get(authorizeUrl('cli', { prompt: 'consent' })));
    await signOutEverywhere(server.deps, aliceId);
    expect(await prisma.session.count({ where: { userId: aliceId } })).toBe(0);
    expect(await prisma.authorizationRequest.count({ where: { id: pending.params.request! } })).toBe(0);
    expect(outcome(await one.get(authorizeUrl('cli'))).to).toBe('login');
    expect(outcome(await two.get(authorizeUrl('cli', { prompt: 'none' }))).params.error).toBe(
      'login_required',
    );
  });
});
