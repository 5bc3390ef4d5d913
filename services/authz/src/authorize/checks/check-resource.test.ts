import { describe, expect, it } from 'vitest';
import { loadPolicy, resolvePolicy, type PolicyFile } from '@mcp-auth/core';
import { checkResource } from './check-resource.ts';

const issuer = 'http://localhost:8080';
const resource = `${issuer}/mcp`;
const single = loadPolicy({ PUBLIC_URL: issuer });
const file: PolicyFile = {
  scopes: { 'mcp:tools': 'Use the tools' },
  default_scope: ['mcp:tools'],
  servers: ['/files', '/mail'].map((path) => ({ path, tools: {}, resources: {}, prompts: {} })),
};
const several = resolvePolicy(file, { PUBLIC_URL: issuer });

const invalidTarget = expect.objectContaining({ error: 'invalid_target' });

describe('checkResource', () => {
  it('defaults to the one protected server', () => {
    expect(checkResource({}, single).resource).toBe(resource);
    expect(checkResource({ resource: '' }, single).resource).toBe(resource);
  });

  it('accepts a server’s resource, also in a differently cased but equal form', () => {
    expect(checkResource({ resource }, single).resource).toBe(resource);
    expect(checkResource({ resource: 'HTTP://LOCALHOST:8080/mcp' }, single).resource).toBe(resource);
  });

  it('refuses other, relative or fragment-carrying resources with invalid_target', () => {
    for (const bad of [
      'http://localhost:8080/other',
      'http://localhost:9999/mcp',
      '/mcp',
      'mcp',
      `${resource}#frag`,
      `${resource}/`,
    ]) {
      expect(() => checkResource({ resource: bad }, single), bad).toThrow(invalidTarget);
    }
  });

  it('refuses more than one resource', () => {
    expect(() => checkResource({ resource: [resource, resource] }, single)).toThrow(invalidTarget);
  });

  it('with several servers, picks the one named and requires a name', () => {
    expect(checkResource({ resource: `${issuer}/mail` }, several).path).toBe('/mail');
    expect(checkResource({ resource: `${issuer}/files` }, several).path).toBe('/files');
    expect(() => checkResource({}, several)).toThrow(
      expect.objectContaining({
        error: 'invalid_target',
        description: `resource is required: this server issues tokens for ${issuer}/files ${issuer}/mail`,
      }),
    );
    expect(() => checkResource({ resource }, several)).toThrow(invalidTarget);
  });
});
