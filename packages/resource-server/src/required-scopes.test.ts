import { describe, expect, it } from 'vitest';
import { requiredScopes, scopeShortfall, type ScopePolicy } from './required-scopes.ts';

const policy: ScopePolicy = {
  required: ['mcp:tools'],
  tools: new Map([
    ['echo', []],
    ['whoami', ['mcp:identity']],
    ['delete', ['files:write', 'files:read']],
  ]),
  resources: new Map([['file:///secret.txt', ['files:read']]]),
  prompts: new Map([['review', ['code:review']]]),
};
const message = (method: string, params: unknown, id = 1) => ({ jsonrpc: '2.0', id, method, params });
const call = (name: unknown, id = 1) => message('tools/call', { name }, id);

describe('requiredScopes', () => {
  it('needs the required scopes for anything, including no body', () => {
    expect(requiredScopes(undefined, policy)).toEqual(['mcp:tools']);
    expect(requiredScopes({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, policy)).toEqual(['mcp:tools']);
    expect(requiredScopes('not json-rpc', policy)).toEqual(['mcp:tools']);
  });

  it("adds the called tool's scopes", () => {
    expect(requiredScopes(call('echo'), policy)).toEqual(['mcp:tools']);
    expect(requiredScopes(call('whoami'), policy)).toEqual(['mcp:tools', 'mcp:identity']);
    expect(requiredScopes(call('delete'), policy)).toEqual(['mcp:tools', 'files:write', 'files:read']);
  });

  it('adds the scopes of a read resource (by URI) and a fetched prompt (by name)', () => {
    expect(requiredScopes(message('resources/read', { uri: 'file:///secret.txt' }), policy)).toEqual([
      'mcp:tools',
      'files:read',
    ]);
    expect(requiredScopes(message('prompts/get', { name: 'review' }), policy)).toEqual([
      'mcp:tools',
      'code:review',
    ]);
    // The same names under another method need nothing more.
    expect(requiredScopes(message('prompts/get', { name: 'whoami' }), policy)).toEqual(['mcp:tools']);
    expect(requiredScopes(message('resources/subscribe', { uri: 'file:///secret.txt' }), policy)).toEqual([
      'mcp:tools',
    ]);
  });

  it('adds nothing for unknown names or malformed params', () => {
    expect(requiredScopes(call('nope'), policy)).toEqual(['mcp:tools']);
    expect(requiredScopes(call(42), policy)).toEqual(['mcp:tools']);
    expect(requiredScopes(call('constructor'), policy)).toEqual(['mcp:tools']);
    expect(requiredScopes({ method: 'tools/call', params: null }, policy)).toEqual(['mcp:tools']);
    expect(requiredScopes(message('toString', { name: 'whoami' }), policy)).toEqual(['mcp:tools']);
  });

  it('collects the scopes of every message in a batch', () => {
    expect(
      requiredScopes(
        [call('echo', 1), call('whoami', 2), null, message('prompts/get', { name: 'review' })],
        policy,
      ),
    ).toEqual(['mcp:tools', 'mcp:identity', 'code:review']);
  });
});

describe('scopeShortfall', () => {
  it('is empty when every needed scope is granted', () => {
    expect(scopeShortfall(['mcp:tools', 'mcp:identity'], ['mcp:tools', 'mcp:identity'])).toEqual({
      missing: [],
      stepUp: [],
    });
  });

  it('asks for the granted scopes plus the missing ones', () => {
    expect(scopeShortfall(['mcp:tools'], ['mcp:tools', 'mcp:identity'])).toEqual({
      missing: ['mcp:identity'],
      stepUp: ['mcp:tools', 'mcp:identity'],
    });
    expect(scopeShortfall(['mcp:identity', 'other'], ['mcp:tools'])).toEqual({
      missing: ['mcp:tools'],
      stepUp: ['mcp:identity', 'other', 'mcp:tools'],
    });
  });
});
