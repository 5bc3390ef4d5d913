import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeScope, loadPolicy, parsePolicyText, serverForResource } from './policy.ts';

const write = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'policy-')), name);
  writeFileSync(path, text);
  return path;
};

describe('policy', () => {
  it('defaults to the demo scopes and tools at /mcp', () => {
    const p = loadPolicy({ PUBLIC_URL: 'http://localhost:8080' });
    expect([...p.scopes.keys()]).toEqual(['mcp:tools', 'mcp:identity']);
    expect(p.defaultScope).toEqual(['mcp:tools']);
    expect(p.servers).toHaveLength(1);
    expect(p.servers[0]).toMatchObject({
      path: '/mcp',
      resource: 'http://localhost:8080/mcp',
      required: ['mcp:tools'],
    });
    expect(p.servers[0]!.tools.get('whoami')).toEqual(['mcp:identity']);
  });

  it('MCP_UPSTREAM_URL proxies the default server, which then names no tools', () => {
    const p = loadPolicy({
      PUBLIC_URL: 'http://localhost:8080',
      MCP_UPSTREAM_URL: 'http://127.0.0.1:9000/mcp',
    });
    expect(p.servers[0]).toMatchObject({ upstream: 'http://127.0.0.1:9000/mcp', path: '/mcp' });
    expect(p.servers[0]!.tools.size).toBe(0);
  });

  it('reads YAML with several servers, scope lists written either way', () => {
    const path = write(
      'policy.yaml',
      `scopes:
  files:read: Read your files
  files:write: Change your files
default_scope: files:read
servers:
  - path: /files/
    upstream: http://127.0.0.1:9001/mcp
    tools:
      delete_file: files:read files:write
  - path: /other
    upstream: http://127.0.0.1:9002/mcp
    required: [files:write]
`,
    );
    const p = loadPolicy({ PUBLIC_URL: 'https://auth.example.com', MCP_POLICY_PATH: path });
    expect(p.servers.map((s) => s.resource)).toEqual([
      'https://auth.example.com/files',
      'https://auth.example.com/other',
    ]);
    expect(p.servers[0]!.tools.get('delete_file')).toEqual(['files:read', 'files:write']);
    expect(p.servers[0]!.required).toEqual(['files:read']);
    expect(p.servers[1]!.required).toEqual(['files:write']);
    expect(describeScope(p, 'files:read')).toBe('Read your files');
    expect(serverForResource(p, 'https://AUTH.example.com/other')?.path).toBe('/other');
    expect(serverForResource(p, 'https://auth.example.com/nope')).toBeUndefined();
  });

  it('names each problem in one line', () => {
    expect(() =>
      parsePolicyText(
        JSON.stringify({
          scopes: { a: 'A' },
          default_scope: 'b',
          servers: [{ path: '/m', tools: { t: ['c'] } }, { path: '/m' }],
        }),
        'p.json',
      ),
    ).toThrow(
      /default_scope: scope "b" is not declared.*servers.0.tools.t: scope "c".*servers.1.path: \/m is used twice/,
    );
    expect(() =>
      parsePolicyText(
        JSON.stringify({ scopes: { a: 'A' }, default_scope: 'a', servers: [{ path: '/oauth/x' }] }),
        'p.json',
      ),
    ).toThrow(/servers.0.path: this path belongs to the authorization server/);
    expect(() => parsePolicyText('{', 'p.json')).toThrow(/MCP_POLICY_PATH: p.json is not valid JSON/);
    expect(() => loadPolicy({ PUBLIC_URL: 'http://x', MCP_POLICY_PATH: '/nonexistent/p.yaml' })).toThrow(
      /cannot read \/nonexistent\/p.yaml: ENOENT/,
    );
  });

  it('refuses MCP_UPSTREAM_URL beside a file that lists servers', () => {
    const path = write(
      'p.json',
      JSON.stringify({ scopes: { a: 'A' }, default_scope: 'a', servers: [{ path: '/m' }] }),
    );
    expect(() =>
      loadPolicy({
        PUBLIC_URL: 'http://x',
        MCP_POLICY_PATH: path,
        MCP_UPSTREAM_URL: 'http://127.0.0.1:1/mcp',
      }),
    ).toThrow(/MCP_UPSTREAM_URL: the policy file lists servers/);
  });
});
