import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mcp-auth/core';
import { keySourceFrom, loadMcpEnv, mcpConfigFrom, resourceMetadataUrlFor } from './config.ts';

describe('resourceMetadataUrlFor', () => {
  it('puts the well-known segment between the origin and the path (RFC 9728 §3.1)', () => {
    expect(resourceMetadataUrlFor('http://localhost:8080/mcp')).toBe(
      'http://localhost:8080/.well-known/oauth-protected-resource/mcp',
    );
    expect(resourceMetadataUrlFor('https://api.example.com/tools/mcp')).toBe(
      'https://api.example.com/.well-known/oauth-protected-resource/tools/mcp',
    );
    expect(resourceMetadataUrlFor('https://mcp.example.com')).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource',
    );
  });
});

describe('mcp config', () => {
  const env = { PUBLIC_URL: 'http://localhost:8080/' };

  it('defaults to the demo server at PUBLIC_URL/mcp, the issuer PUBLIC_URL and its JWKS URL', () => {
    const parsed = loadMcpEnv(env);
    expect(parsed.PORT).toBe(3003);
    const config = mcpConfigFrom(parsed);
    expect(config.issuer).toBe('http://localhost:8080');
    expect(config.policy.servers.map((s) => [s.resource, s.upstream])).toEqual([
      ['http://localhost:8080/mcp', undefined],
    ]);
    expect(config.allowedOrigins).toEqual([]);
    expect(config.upstreamTimeoutMs).toBe(30_000);
    expect(config.bodyLimit).toBe('1mb');
    expect(keySourceFrom(parsed, config.issuer)).toEqual({
      jwksUri: 'http://localhost:8080/oauth/jwks.json',
    });
  });

  it('takes an explicit resource, authorization server, key file, upstream and limits', () => {
    const parsed = loadMcpEnv({
      ...env,
      MCP_RESOURCE_URL: 'https://mcp.example.com/v1/mcp',
      AUTHORIZATION_SERVER_URL: 'https://auth.example.com',
      JWT_PUBLIC_KEYS_PATH: '/keys/public.pem',
      MCP_UPSTREAM_URL: 'http://127.0.0.1:9000/mcp',
      MCP_UPSTREAM_TIMEOUT: '2.5',
      MCP_BODY_LIMIT: '4mb',
      MCP_ALLOWED_ORIGINS: 'https://app.example, http://localhost:6274',
    });
    const config = mcpConfigFrom(parsed);
    expect(config.policy.servers[0]).toMatchObject({
      resource: 'https://mcp.example.com/v1/mcp',
      path: '/v1/mcp',
      upstream: 'http://127.0.0.1:9000/mcp',
    });
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.upstreamTimeoutMs).toBe(2500);
    expect(config.bodyLimit).toBe('4mb');
    expect(config.allowedOrigins).toEqual(['https://app.example', 'http://localhost:6274']);
    expect(keySourceFrom(parsed, config.issuer)).toEqual({ file: '/keys/public.pem' });
  });

  it('serves every server of a policy file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-config-'));
    const path = join(dir, 'policy.yaml');
    writeFileSync(
      path,
      `scopes: { 'a:read': Read A, 'b:read': Read B }
default_scope: a:read
servers:
  - { path: /a, upstream: 'http://127.0.0.1:9001/mcp' }
  - { path: /b, upstream: 'http://127.0.0.1:9002/mcp', required: b:read }
`,
    );
    const config = mcpConfigFrom(loadMcpEnv({ ...env, MCP_POLICY_PATH: path }));
    expect(config.policy.servers.map((s) => [s.resource, s.required])).toEqual([
      ['http://localhost:8080/a', ['a:read']],
      ['http://localhost:8080/b', ['b:read']],
    ]);
  });

  it('names the variable of a bad value', () => {
    for (const [name, value] of [
      ['MCP_ALLOWED_ORIGINS', 'not an origin'],
      ['MCP_UPSTREAM_TIMEOUT', '-1'],
      ['MCP_BODY_LIMIT', 'lots'],
      ['MCP_UPSTREAM_URL', 'ftp://x'],
      ['MCP_JWKS_URL', 'nope'],
    ]) {
      expect(() => loadMcpEnv({ ...env, [name!]: value }), name).toThrow(ConfigError);
      expect(() => loadMcpEnv({ ...env, [name!]: value }), name).toThrow(new RegExp(name!));
    }
  });
});
