import type { Policy } from './policy/policy.ts';

/**
 * The built-in demo's scopes: the default policy (policy/policy.ts) declares them under these
 * names. The services take every scope from the Policy; tests and benchmarks of the demo name them here.
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
