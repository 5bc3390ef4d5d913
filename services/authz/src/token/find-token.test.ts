import { describe, expect, it } from 'vitest';
import {
  generateSigningKeyPem,
  resolvePolicy,
  signAccessToken,
  signingKeyFromPem,
  type PrismaClient,
  type SigningKey,
  VerifiedTokenCache,
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

  it('treats a remembered token past its exp as a miss, verified again, never as an error', async () => {
    // The cache's clock runs ahead of the verifier's: it finds the token expired, the verifier not.
    let ahead = 0;
    const verifiedTokens = new VerifiedTokenCache(10, 0, () => Date.now() + ahead);
    const deps = { config, prisma, signingKey: current, verifiedTokens };
    const fresh = sign(current, `${issuer}/files`);
    expect((await findToken(deps, fresh, { clockToleranceSeconds: 0 }))?.type).toBe('access_token');
    ahead = 3_600_000;
    // Before the fix the cache's InvalidTokenError escaped, which the endpoints answered with 503.
    expect((await findToken(deps, fresh, { clockToleranceSeconds: 0 }))?.type).toBe('access_token');
  });
});
