import { z } from 'zod';
import { ConfigError, flag, isLoopbackHost } from '@mcp-auth/core';

/** Signing in through an upstream OpenID Connect provider (Entra, Okta, Google, Keycloak…). */
export const upstreamOidcEnv = {
  /** The provider's issuer; discovery reads `<issuer>/.well-known/openid-configuration`. */
  UPSTREAM_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  UPSTREAM_OIDC_CLIENT_ID: z.string().min(1).max(512).optional(),
  /** Unset: a public client (PKCE only), for providers that allow one. */
  UPSTREAM_OIDC_CLIENT_SECRET: z.string().min(1).max(1024).optional(),
  UPSTREAM_OIDC_SCOPES: z.string().default('openid email profile'),
  /** Comma-separated: only people whose verified email is at one of these domains may sign in. */
  UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS: z.string().optional(),
  /** `claim=value`: only people whose ID token has this claim (or a list holding the value). */
  UPSTREAM_OIDC_REQUIRED_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+=.+$/, 'must be claim=value')
    .optional(),
  /** Shown as "Continue with <name>" on the sign-in page. */
  UPSTREAM_OIDC_DISPLAY_NAME: z.string().min(1).max(64).default('your identity provider'),
  /** Development only: a non-loopback http issuer. Loopback http issuers are always allowed. */
  UPSTREAM_OIDC_ALLOW_HTTP: flag(),
  /** false: no local passwords; everyone signs in through the upstream provider. */
  PASSWORD_LOGIN: z.stringbool().default(true),
};

type UpstreamOidcEnv = z.output<z.ZodObject<typeof upstreamOidcEnv>>;

export interface UpstreamOidcConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  scopes: string;
  displayName: string;
  /** Lower-case domains; empty means the claim rule alone decides. */
  allowedEmailDomains: string[];
  requiredClaim?: { name: string; value: string } | undefined;
  /** openid-client refuses http unless told; only for loopback or UPSTREAM_OIDC_ALLOW_HTTP. */
  allowHttp: boolean;
}

/**
 * The upstream provider's settings, checked together: the rules span several variables, which the
 * per-variable schema cannot see. Fails closed: a provider without an email-domain list or a claim
 * rule would let every account it knows in (for a public provider, anyone), so one is required.
 */
export function upstreamOidcFrom(env: UpstreamOidcEnv): UpstreamOidcConfig | undefined {
  const fail = (why: string) => {
    throw new ConfigError(`invalid configuration: ${why}`);
  };
  if (!env.UPSTREAM_OIDC_ISSUER) {
    if (!env.PASSWORD_LOGIN) fail('PASSWORD_LOGIN=false needs UPSTREAM_OIDC_ISSUER: nobody could sign in');
    return undefined;
  }
  const issuer = new URL(env.UPSTREAM_OIDC_ISSUER);
  const loopback = isLoopbackHost(issuer.hostname);
  if (issuer.protocol === 'http:' && !loopback && !env.UPSTREAM_OIDC_ALLOW_HTTP) {
    fail('UPSTREAM_OIDC_ISSUER must be https (http only on loopback, or with UPSTREAM_OIDC_ALLOW_HTTP=true)');
  }
  if (!env.UPSTREAM_OIDC_CLIENT_ID) fail('UPSTREAM_OIDC_ISSUER needs UPSTREAM_OIDC_CLIENT_ID');
  const scopes = env.UPSTREAM_OIDC_SCOPES.split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) fail('UPSTREAM_OIDC_SCOPES must include openid');
  const allowedEmailDomains = (env.UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  const rule = env.UPSTREAM_OIDC_REQUIRED_CLAIM;
  const eq = rule?.indexOf('=') ?? -1;
  const requiredClaim = rule ? { name: rule.slice(0, eq), value: rule.slice(eq + 1) } : undefined;
  if (allowedEmailDomains.length === 0 && !requiredClaim) {
    fail(
      'UPSTREAM_OIDC_ISSUER needs UPSTREAM_OIDC_ALLOWED_EMAIL_DOMAINS or UPSTREAM_OIDC_REQUIRED_CLAIM, or every account of the provider could sign in',
    );
  }
  return {
    issuer: env.UPSTREAM_OIDC_ISSUER,
    clientId: env.UPSTREAM_OIDC_CLIENT_ID!,
    clientSecret: env.UPSTREAM_OIDC_CLIENT_SECRET,
    scopes: scopes.join(' '),
    displayName: env.UPSTREAM_OIDC_DISPLAY_NAME,
    allowedEmailDomains,
    requiredClaim,
    allowHttp: issuer.protocol === 'http:',
  };
}
