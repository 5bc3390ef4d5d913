import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revocationCompleteKey } from '@mcp-auth/core';
import {
  addClient,
  addUser,
  callMcp,
  challengeError,
  obtainTokens,
  revokeToken,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';
import { loseRedisData, startTokenStack, type TokenStack } from './token-stack.ts';

let stack: TokenStack;
let alice: User;
const cli: ClientCredentials = { clientId: 'cli' };

beforeAll(async () => {
  stack = await startTokenStack();
  await addClient(stack.prisma, cli);
  alice = await addUser(stack.prisma, 'alice');
});

afterAll(async () => {
  await stack?.proxy.restore().catch(() => undefined);
  await stack?.close();
});

const tokens = () =>
  obtainTokens({ issuer: stack.issuer, client: cli, user: alice, resource: stack.resource });
const mcpStatus = (accessToken: string) => callMcp(stack.resource, accessToken).then((r) => r.status);

describe('Redis unreachable', () => {
  it('MCP fails closed with 503 and Retry-After, revocation answers 503, and both recover with no restart', async () => {
    const live = await tokens();
    const toRevoke = await tokens();
    expect(await mcpStatus(live.accessToken)).toBe(200);

    await stack.proxy.cut();
    try {
      const refused = await callMcp(stack.resource, live.accessToken);
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('temporarily_unavailable');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

      // The durable record is written; Redis missed it, and the client is told to retry.
      const revoked = await revokeToken(stack.issuer, cli, toRevoke.accessToken);
      expect(revoked.status).toBe(503);
      expect(revoked.body.error).toBe('temporarily_unavailable');
      expect(Number(revoked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await stack.prisma.revocation.count({ where: { kind: 'jti' } })).toBe(1);
    } finally {
      await stack.proxy.restore();
    }

    // Same processes, same clients: the Redis connection comes back by itself.
    await expect.poll(() => mcpStatus(live.accessToken), { timeout: 15_000, interval: 200 }).toBe(200);
    // The authorization server delivers the missed revocation in the background, although this
    // client never retried.
    await expect.poll(() => mcpStatus(toRevoke.accessToken), { timeout: 20_000, interval: 200 }).toBe(401);
  });
});

describe('Redis data lost', () => {
  it('a token revoked before the loss is still refused: the set is rebuilt from Postgres', async () => {
    const revokedTokens = await tokens();
    const familyTokens = await tokens();
    const live = await tokens();
    expect((await revokeToken(stack.issuer, cli, revokedTokens.accessToken)).status).toBe(200);
    expect((await revokeToken(stack.issuer, cli, familyTokens.refreshToken!)).status).toBe(200);

    expect(await loseRedisData(stack)).toBeGreaterThan(0);

    const refused = await callMcp(stack.resource, revokedTokens.accessToken);
    expect({ status: refused.status, error: challengeError(refused) }).toEqual({
      status: 401,
      error: 'invalid_token',
    });
    expect(await mcpStatus(familyTokens.accessToken)).toBe(401);
    expect(await mcpStatus(live.accessToken)).toBe(200);
    expect(await stack.redis.exists(revocationCompleteKey(stack.redisInfo.keyPrefix))).toBe(1);
  });
});
