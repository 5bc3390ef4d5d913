import { describe, expect, it } from 'vitest';
import { BASE_SCOPE, IDENTITY_SCOPE, SUPPORTED_SCOPES } from '@mcp-auth/core';
import { toolScopesOf, tools } from '../tools/index.ts';
import { requiredScopes, scopeShortfall } from './required-scopes.ts';

const toolScopes = new Map([
  ['echo', BASE_SCOPE],
  ['whoami', IDENTITY_SCOPE],
]);
const call = (name: unknown, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });

describe('requiredScopes', () => {
  it('needs the base scope for anything, including no body', () => {
    expect(requiredScopes(undefined, toolScopes)).toEqual([BASE_SCOPE]);
    expect(requiredScopes({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, toolScopes)).toEqual([BASE_SCOPE]);
    expect(requiredScopes('not json-rpc', toolScopes)).toEqual([BASE_SCOPE]);
  });

  it("adds the called tool's scope", () => {
    expect(requiredScopes(call('echo'), toolScopes)).toEqual([BASE_SCOPE]);
    expect(requiredScopes(call('whoami'), toolScopes)).toEqual([BASE_SCOPE, IDENTITY_SCOPE]);
  });

  it('adds nothing for unknown tools or malformed params', () => {
    expect(requiredScopes(call('nope'), toolScopes)).toEqual([BASE_SCOPE]);
    expect(requiredScopes(call(42), toolScopes)).toEqual([BASE_SCOPE]);
    expect(requiredScopes({ method: 'tools/call', params: null }, toolScopes)).toEqual([BASE_SCOPE]);
  });

  it('collects the scopes of every call in a batch', () => {
    expect(requiredScopes([call('echo', 1), call('whoami', 2), null], toolScopes)).toEqual([
      BASE_SCOPE,
      IDENTITY_SCOPE,
    ]);
  });
});

describe('scopeShortfall', () => {
  it('is empty when every needed scope is granted', () => {
    expect(scopeShortfall([BASE_SCOPE, IDENTITY_SCOPE], [BASE_SCOPE, IDENTITY_SCOPE])).toEqual({
      missing: [],
      stepUp: [],
    });
  });

  it('asks for the granted scopes plus the missing ones', () => {
    expect(scopeShortfall([BASE_SCOPE], [BASE_SCOPE, IDENTITY_SCOPE])).toEqual({
      missing: [IDENTITY_SCOPE],
      stepUp: [BASE_SCOPE, IDENTITY_SCOPE],
    });
    expect(scopeShortfall([IDENTITY_SCOPE, 'other'], [BASE_SCOPE])).toEqual({
      missing: [BASE_SCOPE],
      stepUp: [IDENTITY_SCOPE, 'other', BASE_SCOPE],
    });
  });
});

describe('tool registry', () => {
  it('declares only scopes the resource advertises', () => {
    for (const [name, scope] of toolScopesOf(tools)) {
      expect(SUPPORTED_SCOPES, `tool ${name}`).toContain(scope);
    }
    expect(toolScopesOf(tools).get('whoami')).toBe(IDENTITY_SCOPE);
    expect(toolScopesOf(tools).get('echo')).toBe(BASE_SCOPE);
  });
});
