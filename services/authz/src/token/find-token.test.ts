import { describe, expect, it } from 'vitest';
import {
  generateSigningKeyPem,
  resolvePolicy,
  signAccessToken,
  signingKeyFromPem,
  type PrismaClient,
  type SigningKey,
} from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import { findToken } from './find-token.ts';

const issuer = 'https://as.example';
const policy = resolvePolicy(
  {
    scopes: { 'mcp:tools': 'Use the tools' },
    default_scope: ['mcp:tools'],
    servers: ['/files', '/mail'].map((path) => ({ path, tools: {}, resources: {}, prompts: {} })),
  },
  { PUBLIC_URL: issuer },
);
const config = { issuer, policy } as AuthzConfig;
const retired = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
const current = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
// Access tokens are recognised by their signature alone; the database is for refresh tokens.
const prisma = {} as PrismaClient;

const sign = (key: SigningKey, audience: string) =>
  signAccessToken(key, {
    issuer,
    subject: 'u',
    audience,
    clientId: 'c',
    scopes: ['mcp:tools'],
    sid: 's',
    ttlSeconds: 600,
  }).token;

describe('findToken', () => {
  const token = sign(retired, `${issuer}/files`);

  it('recognises a token signed by a retired key that is still published', async () => {
    const found = await findToken({ config, prisma, signingKey: current, previousKeys: [retired] }, token, {
      clockToleranceSeconds: 0,
    });
    expect(found?.type).toBe('access_token');
  });

  it('does not recognise it once the retired key is gone', async () => {
    expect(
      await findToken({ config, prisma, signingKey: current }, token, { clockToleranceSeconds: 0 }),
    ).toBe(undefined);
  });

  it('recognises tokens of every protected server, each with its own audience, and no other', async () => {
    const find = (t: string) =>
      findToken({ config, prisma, signingKey: current }, t, { clockToleranceSeconds: 0 });
    for (const aud of [`${issuer}/files`, `${issuer}/mail`]) {
      const found = await find(sign(current, aud));
      expect(found?.type === 'access_token' && found.claims.aud).toBe(aud);
    }
    expect(await find(sign(current, `${issuer}/other`))).toBe(undefined);
    expect(await find(sign(current, 'https://elsewhere.example/files'))).toBe(undefined);
  });
});
