import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revocationCompleteKey } from '@mcp-auth/core';
import {
  addClient,
  addUser,
  callMcp,
  obtainTokens,
  revokeToken,
  type ClientCredentials,
  type User,
} from '../support/oauth-flow.ts';
import { systemRedis } from '../support/infra-servers.ts';
import { startTokenStack, type TokenStack } from '../integration/token-stack.ts';

/**
 * Redis down, then back empty (a restart without persistence, or FLUSHALL), on a redis-server of
 * this file's own so FLUSHALL touches nobody else's keys. What redis-failure.int.test.ts does not
 * cover: a revocation made WHILE Redis is down (Postgres has it, Redis missed it), then the flush,
 * with a watcher presenting the revoked tokens to the MCP service throughout — down, flushed,
 * rebuilding, rebuilt — and never seeing one accepted.
 */

let stack: TokenStack;
let alice: User;
const cli: ClientCredentials = { clientId: 'flush-cli' };

beforeAll(async () => {
  const server = await systemRedis();
  stack = await startTokenStack({
    redis: { url: server.url, keyPrefix: 'flush-test:', stop: () => server.stop() },
  });
  await addClient(stack.prisma, cli);
  alice = await addUser(stack.prisma, 'alice');
});

afterAll(async () => {
  await stack?.proxy.restore().catch(() => undefined);
  await stack?.close();
});

const tokens = () =>
  obtainTokens({ issuer: stack.issuer, client: cli, user: alice, resource: stack.resource });
const status = (accessToken: string) => callMcp(stack.resource, accessToken).then((r) => r.status);

describe('Redis down and flushed', () => {
  it('fails closed while down; after FLUSHALL the set is rebuilt from Postgres before any token is accepted; revoked tokens are refused throughout', async () => {
    const revokedBefore = await tokens();
    const revokedDuring = await tokens();
    const live = await tokens();
    expect((await revokeToken(stack.issuer, cli, revokedBefore.accessToken)).status).toBe(200);
    expect(await status(revokedBefore.accessToken)).toBe(401);
    expect(await status(live.accessToken)).toBe(200);

    // The watcher: every answer to a revoked token, from now to the end.
    const watched: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        watched.push(await status(revokedBefore.accessToken));
        watched.push(await status(revokedDuring.accessToken));
      }
    })();

    await stack.proxy.cut();
    try {
      expect(await status(live.accessToken)).toBe(503);
      // Durable in Postgres; Redis missed it; the client is told to retry.
      expect((await revokeToken(stack.issuer, cli, revokedDuring.refreshToken!)).status).toBe(503);
      // Redis comes back with nothing: as after a restart without persistence.
      await stack.redis.flushall();
    } finally {
      await stack.proxy.restore();
    }

    // The first request after the flush finds no completeness marker and rebuilds from Postgres.
    await expect.poll(() => status(live.accessToken), { timeout: 20_000, interval: 200 }).toBe(200);
    expect(await stack.redis.exists(revocationCompleteKey(stack.redisInfo.keyPrefix))).toBe(1);
    expect(await status(revokedBefore.accessToken)).toBe(401);
    expect(await status(revokedDuring.accessToken)).toBe(401);

    watching = false;
    await watcher;
    const counts = watched.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {});
    console.log(
      `revoked tokens presented ${watched.length} times through the outage: ${JSON.stringify(counts)}`,
    );
    expect(watched.length).toBeGreaterThan(4);
    expect(watched.filter((s) => s !== 401 && s !== 503)).toEqual([]);
  });
});
