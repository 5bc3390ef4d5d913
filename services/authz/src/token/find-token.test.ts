import { describe, expect, it } from 'vitest';
import { generateSigningKeyPem, signAccessToken, signingKeyFromPem, type PrismaClient } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';
import { findToken } from './find-token.ts';

const config = { issuer: 'https://as.example', resource: 'https://as.example/mcp' } as AuthzConfig;
const retired = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
const current = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
// Access tokens are recognised by their signature alone; the database is for refresh tokens.
const prisma = {} as PrismaClient;

describe('findToken across a key rotation', () => {
  const { token } = signAccessToken(retired, {
    issuer: config.issuer,
    subject: 'u',
    audience: config.resource,
    clientId: 'c',
    scopes: ['mcp:tools'],
    sid: 's',
    ttlSeconds: 600,
  });

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
});
