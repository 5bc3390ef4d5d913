import { describe, expect, it } from 'vitest';
import { BASE_SCOPE, IDENTITY_SCOPE, resolvePolicy } from '@mcp-auth/core';
import { normalizeScope } from './scope.ts';

const policy = resolvePolicy(
  {
    scopes: { [BASE_SCOPE]: 'Use the tools', [IDENTITY_SCOPE]: 'See your name', 'files:read': 'Read files' },
    default_scope: [BASE_SCOPE],
  },
  { PUBLIC_URL: 'https://as.example' },
);

describe('normalizeScope', () => {
  it('keeps declared scopes, deduplicated and single-spaced', () => {
    expect(normalizeScope(`${BASE_SCOPE}  files:read ${BASE_SCOPE}`, policy)).toBe(
      `${BASE_SCOPE} files:read`,
    );
  });

  it('treats absent and blank as no registered scope', () => {
    expect(normalizeScope(undefined, policy)).toBeUndefined();
    expect(normalizeScope('   ', policy)).toBeUndefined();
  });

  it('drops scopes the policy does not declare (RFC 7591 §3.2.1)', () => {
    expect(normalizeScope(`openid ${IDENTITY_SCOPE} admin profile`, policy)).toBe(IDENTITY_SCOPE);
    expect(normalizeScope('openid profile', policy)).toBeUndefined();
  });
});
