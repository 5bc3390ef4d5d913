import { describe, expect, it } from 'vitest';
import { checkResource } from './check-resource.ts';

const resource = 'http://localhost:8080/mcp';

describe('checkResource', () => {
  it('defaults to our resource', () => {
    expect(checkResource({}, resource)).toBe(resource);
    expect(checkResource({ resource: '' }, resource)).toBe(resource);
  });

  it('accepts our resource, also in a differently cased but equal form', () => {
    expect(checkResource({ resource }, resource)).toBe(resource);
    expect(checkResource({ resource: 'HTTP://LOCALHOST:8080/mcp' }, resource)).toBe(resource);
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
      expect(() => checkResource({ resource: bad }, resource)).toThrow(
        expect.objectContaining({ error: 'invalid_target' }),
      );
    }
  });

  it('refuses more than one resource', () => {
    expect(() => checkResource({ resource: [resource, resource] }, resource)).toThrow(
      expect.objectContaining({ error: 'invalid_target' }),
    );
  });
});
