import { describe, expect, it } from 'vitest';
import { loadConfig } from '@mcp-auth/core';
import { refusal } from './admission.ts';
import { upstreamOidcEnv, upstreamOidcFrom } from './upstream-config.ts';

const settings = (env: Record<string, string>) => upstreamOidcFrom(loadConfig(upstreamOidcEnv, env));
const okta = {
  UPSTREAM_OIDC_ISSUER: 'https://example.okta.com',
  UPSTREAM_OIDC_CLIENT_ID: 'mcp-auth',
  UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS: 'Example.com, @corp.example',
};

describe('upstream OIDC configuration', () => {
  it('is off without an issuer; passwords stay on', () => {
    expect(settings({})).toBeUndefined();
  });

  it('reads the provider, with lower-cased domains and the default scopes', () => {
    expect(settings({ ...okta, UPSTREAM_OIDC_REQUIRED_CLAIM: 'groups=mcp-users' })).toEqual({
      issuer: 'https://example.okta.com',
      clientId: 'mcp-auth',
      clientSecret: undefined,
      scopes: 'openid email profile',
      displayName: 'your identity provider',
      allowedEmailDomains: ['example.com', 'corp.example'],
      requiredClaim: { name: 'groups', value: 'mcp-users' },
      allowHttp: false,
    });
  });

  it('refuses what would fail open or cannot work, naming the variable', () => {
    expect(() => settings({ PASSWORD_LOGIN: 'false' })).toThrow(
      /PASSWORD_LOGIN=false needs UPSTREAM_OIDC_ISSUER/,
    );
    expect(() => settings({ ...okta, UPSTREAM_OIDC_CLIENT_ID: '' })).toThrow(/needs UPSTREAM_OIDC_CLIENT_ID/);
    expect(() => settings({ ...okta, UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS: '' })).toThrow(
      /ALLOWED_EMAIL_DOMAINS or UPSTREAM_OIDC_REQUIRED_CLAIM/,
    );
    expect(() => settings({ ...okta, UPSTREAM_OIDC_SCOPES: 'email' })).toThrow(/must include openid/);
    expect(() => settings({ ...okta, UPSTREAM_OIDC_REQUIRED_CLAIM: 'groups' })).toThrow(/claim=value/);
  });

  it('allows http only for a loopback issuer, or with the development flag', () => {
    const http = { ...okta, UPSTREAM_OIDC_ISSUER: 'http://idp.internal' };
    expect(() => settings(http)).toThrow(/must be https/);
    expect(settings({ ...http, UPSTREAM_OIDC_ALLOW_HTTP: 'true' })?.allowHttp).toBe(true);
    expect(settings({ ...okta, UPSTREAM_OIDC_ISSUER: 'http://127.0.0.1:4000' })?.allowHttp).toBe(true);
  });
});

describe('who may sign in', () => {
  const rules = settings({ ...okta, UPSTREAM_OIDC_REQUIRED_CLAIM: 'groups=mcp' })!;
  const person = { sub: '1', email: 'ann@EXAMPLE.com', email_verified: true, groups: ['staff', 'mcp'] };

  it('a verified email at an allowed domain, holding the claim', () => {
    expect(refusal(rules, person)).toBeUndefined();
    expect(refusal(rules, { ...person, groups: 'mcp' })).toBeUndefined();
  });

  it('not an unverified email, another domain, a look-alike domain, or without the claim', () => {
    expect(refusal(rules, { ...person, email_verified: false })).toBe('no verified email address');
    expect(refusal(rules, { ...person, email: 'ann@other.com' })).toMatch(/other.com is not allowed/);
    expect(refusal(rules, { ...person, email: 'ann@evil-example.com' })).toMatch(/not allowed/);
    expect(refusal(rules, { ...person, email: 'ann@example.com.evil' })).toMatch(/not allowed/);
    expect(refusal(rules, { ...person, groups: ['staff'] })).toBe('claim groups is not mcp');
    expect(refusal(rules, { sub: '1', email: 'a@example.com', email_verified: true })).toBe(
      'claim groups is not mcp',
    );
  });
});
