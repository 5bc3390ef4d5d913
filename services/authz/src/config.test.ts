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
