import type { Policy } from './policy/policy.ts';

/**
 * The demo's scopes, as the default policy declares them (policy/policy.ts). The authorization
 * server and registration take scopes from the Policy; these names remain for the built-in demo
 * tools and their tests.
 */
export const BASE_SCOPE = 'mcp:tools';
/** Reveals who the caller is (the `whoami` tool). */
export const IDENTITY_SCOPE = 'mcp:identity';
export const SUPPORTED_SCOPES: readonly string[] = [BASE_SCOPE, IDENTITY_SCOPE];

export const parseScope = (scope: string | undefined | null): string[] => [
  ...new Set((scope ?? '').split(' ').filter(Boolean)),
];

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

/** The scopes among `scopes` that the operator's policy does not declare. */
export const undeclaredScopes = (policy: Pick<Policy, 'scopes'>, scopes: readonly string[]): string[] =>
  scopes.filter((s) => !policy.scopes.has(s));
