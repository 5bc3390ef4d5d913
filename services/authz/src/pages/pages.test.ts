import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountPage } from './account-page.ts';
import { consentPage } from './consent-page.ts';
import { errorPage } from './error-page.ts';
import { STYLE_HASH } from './layout.ts';
import { loginPage } from './login-page.ts';
import { logoutPage } from './logout-page.ts';
import { contentSecurityPolicy, formTargetOf } from './send-page.ts';

const evil = '<img src=x onerror=alert(1)>"\'';
const login = loginPage({
  site: 'auth.example',
  requestId: 'req"1',
  csrfToken: 'tok<en>',
  continueTo: { clientName: evil, clientHost: 'app.example' },
  username: evil,
  error: 'Incorrect username or password.',
}).value;
const consent = consentPage({
  site: 'auth.example',
  requestId: 'req1',
  csrfToken: 'tok',
  clientName: evil,
  clientNamed: true,
  clientLocal: false,
  clientHost: 'app.example',
  username: evil,
  switchAccountUrl: 'login?request=req1&x="',
  resource: 'https://auth.example/mcp',
  scopes: [
    { name: 'mcp:tools', description: 'Use the tools' },
    { name: evil, description: evil },
  ],
}).value;
const logout = logoutPage({ site: 'auth.example', username: evil, csrfToken: 'tok"' }).value;
const account = accountPage({
  site: 'auth.example',
  username: evil,
  csrfToken: 'tok"',
  withdrawUrl: 'https://auth.example/oauth/account/withdraw',
  withdrawn: evil,
  apps: [
    {
      clientId: evil,
      clientName: evil,
      resource: 'https://auth.example/mcp?x="',
      scopes: [{ name: evil, description: evil }],
      grantedAt: new Date('2026-01-02T03:04:05Z'),
      lastUsedAt: null,
    },
  ],
}).value;

describe('pages', () => {
  it('escape every value that comes from a client or a person', () => {
    const error = errorPage({ site: 's', error: evil, description: evil }).value;
    for (const page of [login, consent, logout, error, account]) {
      expect(page).not.toContain('<img');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
    }
    expect(login).toContain('value="req&quot;1"');
    expect(login).toContain('value="tok&lt;en&gt;"');
    expect(consent).toContain('href="login?request=req1&amp;x=&quot;"');
    expect(logout).toContain('name="csrf_token" value="tok&quot;"');
  });

  it('the sign-out page asks before it signs out, and has nothing to confirm when no one is signed in', () => {
    expect(logout).toMatch(/<form method="post" action="logout">/);
    expect(logout).toMatch(/<button type="submit"[^>]*>Sign out<\/button>/);
    for (const page of [logoutPage({ site: 's' }).value, logoutPage({ site: 's', done: true }).value]) {
      expect(page).not.toContain('<form');
    }
    expect(logoutPage({ site: 's', done: true }).value).toContain('You are signed out');
  });

  it('have exactly the one stylesheet the CSP allows', () => {
    const styles = [...login.matchAll(/<style>([\s\S]*?)<\/style>/g)];
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
    expect(STYLE_HASH).toBe(`'sha256-${hash}'`);
    expect(login).not.toMatch(/\sstyle=/);
    expect(login).not.toMatch(/<script/);
  });

  it('declare the language and label every input', () => {
    expect(login).toMatch(/<html lang="en">/);
    expect(login).toMatch(/<label for="username">Username<\/label>/);
    expect(login).toMatch(/<label for="password">Password<\/label>/);
    expect(login).toMatch(/role="alert"/);
  });

  it('the connected-apps page: one withdraw form per app, with its CSRF token; dates in UTC', () => {
    expect(account).toContain('<form method="post" action="https://auth.example/oauth/account/withdraw">');
    expect(account).toContain('name="csrf_token" value="tok&quot;"');
    expect(account).toContain('value="https://auth.example/mcp?x=&quot;"');
    expect(account).toContain('2026-01-02 03:04 UTC');
    expect(account).toContain('Not yet');
    expect(
      accountPage({ site: 's', username: 'u', csrfToken: 't', withdrawUrl: 'w', apps: [] }).value,
    ).toContain('No app can use your account');
  });

  it('the login page offers the identity provider beside the form, or instead of it', () => {
    const base = { site: 's', csrfToken: 't', continueTo: { page: 'p' } };
    const upstream = {
      name: 'Okta "corp"',
      url: 'https://auth.example/oauth/upstream/start?then=account&x=1',
    };
    const both = loginPage({ ...base, upstream }).value;
    expect(both).toContain('Continue with Okta &quot;corp&quot;</a>');
    expect(both).toContain('href="https://auth.example/oauth/upstream/start?then=account&amp;x=1"');
    expect(both).toContain('type="password"');
    const only = loginPage({ ...base, upstream, passwordForm: false }).value;
    expect(only).toContain('Continue with Okta');
    expect(only).not.toContain('<form');
    expect(loginPage(base).value).not.toContain('Continue with');
  });

  it('put Deny before Allow, so pressing Enter does not approve', () => {
    expect(consent.indexOf('value="deny"')).toBeLessThan(consent.indexOf('value="approve"'));
  });
});

describe('content security policy', () => {
  it('allows forms to post to us and to end at the client, nothing else', () => {
    const csp = contentSecurityPolicy(formTargetOf('http://127.0.0.1:5000/callback?x=1'));
    expect(csp).toContain("form-action 'self' http://127.0.0.1:5000;");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy()).toContain("form-action 'self';");
  });

  it('names the scheme of a native app redirect URI, which has no origin (Chromium applies form-action to the redirect)', () => {
    expect(formTargetOf('com.example.app:/callback')).toEqual(['com.example.app:']);
    expect(contentSecurityPolicy(formTargetOf('com.example.app:/callback'))).toContain(
      "form-action 'self' com.example.app:;",
    );
    expect(formTargetOf('not a uri')).toEqual([]);
  });
});

describe('consent page for a metadata-document client (CIMD)', () => {
  const page = (publisher?: string) =>
    consentPage({
      site: 'auth.example',
      requestId: 'req1',
      csrfToken: 'tok',
      clientName: 'Trusted Editor',
      clientNamed: true,
      clientLocal: true,
      clientHost: '127.0.0.1:33418',
      publisher,
      switchAccountUrl: 'login?request=req1',
      username: 'alice',
      resource: 'https://auth.example/mcp',
      scopes: [{ name: 'mcp:tools', description: 'Use the tools' }],
    }).value;

  it("names the document's host as the party to trust", () => {
    const html = page('apps.example.com');
    expect(html).toMatch(
      /This app is published by<\/span>\s*<span class="host publisher">apps\.example\.com<\/span>/,
    );
    expect(html).toContain('Continue only if you trust apps.example.com');
    expect(html).toContain('127.0.0.1:33418');
  });

  it('says nothing of a publisher for a registered client', () => {
    expect(page()).not.toContain('published by');
  });
});
