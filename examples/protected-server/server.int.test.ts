import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  createRedis,
  freePort,
  generateSigningKeyPem,
  jwks,
  signAccessToken,
  signingKeyFromPem,
  type Redis,
  type SigningKey,
} from '@mcp-auth/core';
import { revocationCompleteKey, revocationKey } from '@mcp-auth/resource-server';
import { startRedis, type TestRedis } from '../../test/support/infra.ts';
import { start, type Running } from '../../test/support/processes.ts';

/**
 * The example server as an operator runs it (its own process), trusting an issuer whose JWKS is
 * served here on loopback, and reading revocations from the real Redis set.
 */
let key: SigningKey;
let issuerServer: Server;
let issuer: string;
let resource: string;
let example: Running;
let redisServer: TestRedis;
let redis: Redis;

const issue = (scopes: string[]) =>
  signAccessToken(key, {
    issuer,
    subject: 'alice',
    audience: resource,
    clientId: 'client-1',
    scopes,
    sid: `family-${Math.random()}`,
    ttlSeconds: 300,
  });

beforeAll(async () => {
  key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  issuerServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks([key])));
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  await redis.connect();
  await redis.set(revocationCompleteKey(redisServer.keyPrefix), '1');
  resource = `http://127.0.0.1:${await freePort()}/mcp`;
  example = start(process.execPath, ['--import', 'tsx', 'examples/protected-server/server.ts'], {
    ISSUER: issuer,
    RESOURCE: resource,
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: redisServer.keyPrefix,
  });
  await example.waitFor(/listening at/);
});

afterAll(async () => {
  await example?.stop();
  redis?.disconnect();
  await redisServer?.stop();
  issuerServer?.closeAllConnections();
  await new Promise((resolve) => issuerServer?.close(resolve));
});

describe('the example protected server', () => {
  it('serves its metadata and challenges a request without a token', async () => {
    const prm = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(await (await fetch(prm)).json()).toMatchObject({ resource, authorization_servers: [issuer] });
    const res = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer scope="notes:read", resource_metadata="${prm}"`);
  });

  it('lets the SDK client call its tools, steps up for add_note, and refuses a revoked token', async () => {
    const { token, claims } = issue(['notes:read']);
    const client = new Client({ name: 'example-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(resource), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      expect(who.content).toEqual([{ type: 'text', text: 'alice' }]);
      await expect(client.callTool({ name: 'add_note', arguments: { text: 'x' } })).rejects.toThrow(
        /insufficient_scope/,
      );
    } finally {
      await client.close();
    }
    const call = (t: string) =>
      fetch(resource, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${t}`,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'add_note', arguments: { text: 'hi' } },
        }),
      });
    const stepped = await call(issue(['notes:read', 'notes:write']).token);
    expect(stepped.status).toBe(200);
    expect(JSON.stringify(await stepped.json())).toContain('added: hi');

    // What the authorization server writes when the token is revoked (RFC 7009).
    await redis.set(revocationKey(redisServer.keyPrefix, 'jti', claims.jti), '1', 'EX', 300);
    const revoked = await call(token);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
