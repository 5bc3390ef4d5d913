import { describe, expect, it } from 'vitest';
import type { OAuthClient } from '@mcp-auth/core';
import { clientDisplay } from '../authorize/flow.ts';
import { consentPage } from './consent-page.ts';
import { describeDestination } from './destination.ts';

const client = { id: 'c1', clientName: 'Some App' } as OAuthClient;

/** The consent page as a person sees it for a flow answering at `redirectUri`. */
function rendered(redirectUri: string): { host: string; hint: string } {
  const page = consentPage({
    site: 'auth.example',
    requestId: 'r',
    csrfToken: 't',
    username: 'alice',
    switchAccountUrl: 'login?request=r',
    resource: 'https://auth.example/mcp',
    scopes: [{ name: 'mcp:tools', description: 'Use the tools' }],
    ...clientDisplay({ client, redirectUri }),
  }).value;
  const host = /<span class="host">([^<]*)<\/span>/.exec(page)?.[1];
  const hint = /<span class="hint">([^<]*)<\/span>/.exec(page)?.[1];
  if (host === undefined || hint === undefined) throw new Error('no destination on the consent page');
  return { host, hint };
}

describe('the consent page destination', () => {
  it.each([
    ['https://app.example.com/callback', 'app.example.com'],
    ['https://app.example.com:8443/cb?x=1', 'app.example.com:8443'],
    ['https://claude.ai/api/mcp/auth_callback', 'claude.ai'],
    // A look-alike name shows in its ASCII form, not as the name it imitates.
    ['https://аpple.com/cb', 'xn--pple-43d.com'],
  ])('shows the host of an https redirect: %s', (uri, host) => {
    expect(rendered(uri)).toEqual({
      host,
      hint: 'Apps choose their own names. Continue only if you trust this site and started this sign-in yourself.',
    });
  });

  it.each([
    ['http://127.0.0.1:33418/', 'this computer (port 33418)'],
    ['http://localhost:6274/oauth/callback', 'this computer (port 6274)'],
    ['http://[::1]:8080/cb', 'this computer (port 8080)'],
    ['http://127.0.0.1/callback', 'this computer (port 80)'],
  ])('names this computer and the port for a loopback redirect: %s', (uri, host) => {
    const page = rendered(uri);
    expect(page.host).toBe(host);
    expect(page.hint).toContain('This is an app on your own computer.');
  });

  it.each([
    ['com.example.app:/cb', 'com.example.app'],
    ['com.example.app://oauth2redirect', 'com.example.app'],
    ['cursor://anysphere.cursor-mcp/oauth/callback', 'cursor'],
    ['myapp:callback', 'myapp'],
  ])('names the app scheme of a private-use redirect: %s', (uri, host) => {
    const page = rendered(uri);
    expect(page.host).toBe(host);
    expect(page.hint).toContain('This is an app on your own computer.');
  });

  it('is never empty, even for what registration would not let in', () => {
    expect(describeDestination('not a uri').text).toBe('not a uri');
    expect(describeDestination('').text).toBe('an unknown address');
    expect(describeDestination(`x${'y'.repeat(200)}`).text).toHaveLength(81);
  });
});
