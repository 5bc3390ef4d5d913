import { BASE_SCOPE, IDENTITY_SCOPE, loadPolicy, resolvePolicy } from '@mcp-auth/core';
import { describe, expect, it } from 'vitest';
import { checkScope } from './check-scope.ts';

const demo = loadPolicy({ PUBLIC_URL: 'http://localhost:8080' });
const demoServer = demo.servers[0]!;

const operator = resolvePolicy(
  {
    scopes: { 'files:read': 'Read your files', 'files:write': 'Change your files', 'mail:send': 'Send mail' },
    default_scope: ['files:read'],
    servers: [
      { path: '/files', tools: {}, resources: {}, prompts: {} },
      { path: '/mail', required: ['mail:send'], tools: {}, resources: {}, prompts: {} },
    ],
  },
  { PUBLIC_URL: 'https://as.example' },
);
const [files, mail] = operator.servers as [(typeof operator.servers)[0], (typeof operator.servers)[0]];

describe('checkScope', () => {
  it('grants the default scope when none is asked for', () => {
    expect(checkScope({}, demo, demoServer)).toEqual([BASE_SCOPE]);
    expect(checkScope({ scope: '' }, demo, demoServer)).toEqual([BASE_SCOPE]);
    expect(checkScope({}, operator, files)).toEqual(['files:read']);
  });

  it('grants what a server requires for any request when none is asked for there', () => {
    expect(checkScope({}, operator, mail)).toEqual(['mail:send']);
  });

  it('returns the requested declared scopes, without duplicates', () => {
    expect(
      checkScope({ scope: `${IDENTITY_SCOPE} ${BASE_SCOPE} ${IDENTITY_SCOPE}` }, demo, demoServer),
    ).toEqual([IDENTITY_SCOPE, BASE_SCOPE]);
    expect(checkScope({ scope: 'files:write' }, operator, files)).toEqual(['files:write']);
  });

  it('refuses a scope the policy does not declare with invalid_scope', () => {
    expect(() => checkScope({ scope: `${BASE_SCOPE} admin` }, demo, demoServer)).toThrow(
      expect.objectContaining({ error: 'invalid_scope', description: 'unsupported scope: admin' }),
    );
    expect(() => checkScope({ scope: BASE_SCOPE }, operator, files)).toThrow(
      expect.objectContaining({ error: 'invalid_scope' }),
    );
  });

  it('lets a client step up beyond the scope it registered (a person consents to each scope)', () => {
    expect(checkScope({ scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` }, demo, demoServer)).toEqual([
      BASE_SCOPE,
      IDENTITY_SCOPE,
    ]);
  });
});
