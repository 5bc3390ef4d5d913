import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '@mcp-auth/core';
import { authzConfigFrom, loadAuthzEnv } from './config.ts';

const examplePolicy = fileURLToPath(new URL('../../../deploy/policy/policy.example.yaml', import.meta.url));
const env = { DATABASE_URL: 'postgresql://db/x' };

describe('authorization server configuration', () => {
  it('takes its scopes and protected servers from the policy file', () => {
    const parsed = loadAuthzEnv({
      ...env,
      PUBLIC_URL: 'https://auth.example.com',
      MCP_POLICY_PATH: examplePolicy,
    });
    const config = authzConfigFrom(parsed, loadPolicy(parsed));
    expect([...config.policy.scopes.keys()]).toEqual([
      'mcp:tools',
      'mcp:identity',
      'files:read',
      'files:write',
    ]);
    expect(config.policy.defaultScope).toEqual(['mcp:tools']);
    expect(config.policy.servers.map((s) => [s.resource, s.required])).toEqual([
      ['https://auth.example.com/mcp', ['mcp:tools']],
      ['https://auth.example.com/files', ['files:read']],
    ]);
  });

  it('the admin API is off without ADMIN_API_TOKEN, and refuses a short one; AUDIT_RETENTION is 0 or a day or more', () => {
    const base = { ...env, PUBLIC_URL: 'http://localhost:8080' };
    const plain = loadAuthzEnv(base);
    expect(authzConfigFrom(plain, loadPolicy(plain)).adminApiToken).toBeUndefined();
    expect(loadAuthzEnv({ ...base, ADMIN_API_TOKEN: '' }).ADMIN_API_TOKEN).toBeUndefined();
    const token = 'x'.repeat(32);
    const on = loadAuthzEnv({ ...base, ADMIN_API_TOKEN: token });
    expect(authzConfigFrom(on, loadPolicy(on)).adminApiToken).toBe(token);
    expect(() => loadAuthzEnv({ ...base, ADMIN_API_TOKEN: 'short' })).toThrow(
      /ADMIN_API_TOKEN: must be at least 32/,
    );

    expect(plain.AUDIT_RETENTION).toBe(90 * 24 * 3600);
    expect(loadAuthzEnv({ ...base, AUDIT_RETENTION: '0' }).AUDIT_RETENTION).toBe(0);
    expect(() => loadAuthzEnv({ ...base, AUDIT_RETENTION: '3600' })).toThrow(/AUDIT_RETENTION/);
    expect(() => loadAuthzEnv({ ...base, AUDIT_RETENTION: '90d' })).toThrow(/AUDIT_RETENTION/);
  });

  it('without a policy file, serves the demo scopes for PUBLIC_URL/mcp (or MCP_RESOURCE_URL)', () => {
    const parsed = loadAuthzEnv({ ...env, PUBLIC_URL: 'http://localhost:8080' });
    expect(loadPolicy(parsed).servers.map((s) => s.resource)).toEqual(['http://localhost:8080/mcp']);
    const moved = loadAuthzEnv({
      ...env,
      PUBLIC_URL: 'http://localhost:8080',
      MCP_RESOURCE_URL: 'http://localhost:8080/v1/mcp',
    });
    expect(loadPolicy(moved).servers.map((s) => s.resource)).toEqual(['http://localhost:8080/v1/mcp']);
  });

  it('refuses a PUBLIC_URL with a path, and http off loopback unless allowed', () => {
    expect(() => loadAuthzEnv({ ...env, PUBLIC_URL: 'https://example.com/auth' })).toThrow(
      /PUBLIC_URL: must be an origin without a path/,
    );
    expect(() => loadAuthzEnv({ ...env, PUBLIC_URL: 'http://auth.example.com' })).toThrow(
      /PUBLIC_URL: http is allowed only on a loopback host/,
    );
    const allowed = loadAuthzEnv({
      ...env,
      PUBLIC_URL: 'http://auth.example.com',
      ALLOW_INSECURE_PUBLIC_URL: 'true',
    });
    expect(authzConfigFrom(allowed, loadPolicy(allowed)).secureCookies).toBe(false);
  });
});
