import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mcp-auth/core';
import { loadMcpEnv, mcpConfigFrom, resourceMetadataUrlFor } from './config.ts';

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
  const env = { PUBLIC_URL: 'http://localhost:8080/', JWT_PUBLIC_KEYS_PATH: '/keys/public.pem' };

  it('defaults the resource to PUBLIC_URL/mcp and the issuer to PUBLIC_URL', () => {
    const parsed = loadMcpEnv(env);
    expect(parsed.PORT).toBe(3003);
    expect(mcpConfigFrom(parsed)).toEqual({
      resource: 'http://localhost:8080/mcp',
      issuer: 'http://localhost:8080',
      resourceMetadataUrl: 'http://localhost:8080/.well-known/oauth-protected-resource/mcp',
      resourceName: 'mcp-auth MCP server',
      resourceDocumentation: undefined,
    });
  });

  it('takes an explicit resource and authorization server', () => {
    const config = mcpConfigFrom(
      loadMcpEnv({
        ...env,
        MCP_RESOURCE_URL: 'https://mcp.example.com/v1/mcp',
        AUTHORIZATION_SERVER_URL: 'https://auth.example.com',
      }),
    );
    expect(config.resource).toBe('https://mcp.example.com/v1/mcp');
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.resourceMetadataUrl).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/v1/mcp',
    );
  });

  it('names JWT_PUBLIC_KEYS_PATH when it is missing', () => {
    expect(() => loadMcpEnv({ PUBLIC_URL: 'http://localhost:8080' })).toThrow(ConfigError);
    expect(() => loadMcpEnv({ PUBLIC_URL: 'http://localhost:8080' })).toThrow(/JWT_PUBLIC_KEYS_PATH/);
  });
});
