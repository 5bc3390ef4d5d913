import type { UpstreamOidcConfig } from './upstream-config.ts';

export type Claims = Record<string, unknown>;

/**
 * Why the provider's user may not sign in here, or undefined when they may. An email counts only
 * when the provider says it is verified: an unverified address at an allowed domain proves nothing.
 */
export function refusal(settings: UpstreamOidcConfig, claims: Claims): string | undefined {
  if (settings.allowedEmailDomains.length > 0) {
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    const domain = email?.slice(email.lastIndexOf('@') + 1);
    if (!email || claims.email_verified !== true) return 'no verified email address';
    if (!domain || !settings.allowedEmailDomains.includes(domain))
      return `email domain ${domain} is not allowed`;
  }
  const rule = settings.requiredClaim;
  if (rule) {
    const value = claims[rule.name];
    const holds = Array.isArray(value)
      ? value.map(String).includes(rule.value)
      : String(value) === rule.value;
    if (value === undefined || !holds) return `claim ${rule.name} is not ${rule.value}`;
  }
  return undefined;
}
