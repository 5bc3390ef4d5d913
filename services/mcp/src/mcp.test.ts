import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  RevocationUnavailableError,
  createLogger,
  generateSigningKeyPem,
  keySet,
  publicKeyPem,
  signAccessToken,
  signingKeyFromPem,
  type RevocationChecker,
  type SigningKey,
} from '@mcp-auth/core';
import { createApp } from './app.ts';
import { mcpConfigFrom } from './config.ts';

// The default policy's scopes (packages/core/src/policy): the demo tools need these.
const BASE_SCOPE = 'mcp:tools';
const IDENTITY_SCOPE = 'mcp:identity';
const SUPPORTED_SCOPES = [BASE_SCOPE, IDENTITY_SCOPE];

// The service sits behind the gateway: its public URLs differ from the port the test listens on.
const PUBLIC_URL = 'http://localhost:8080';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const PRM_URL = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;
const INSPECTOR = 'http://localhost:6274';
const config = mcpConfigFrom({ PUBLIC_URL, MCP_ALLOWED_ORIGINS: [INSPECTOR] });
const logger = createLogger('mcp-test', 'silent');

let key: SigningKey;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function issue(
  over: Partial<{
    scopes: string[];
    audience: string;
    issuer: string;
    ttl: number;
    now: number;
    signer: SigningKey;
  }> = {},
) {
  return signAccessToken(over.signer ?? key, {
    issuer: over.issuer ?? PUBLIC_URL,
    subject: 'alice',
    audience: over.audience ?? RESOURCE,
    clientId: 'client-123',
    scopes: over.scopes ?? [BASE_SCOPE, IDENTITY_SCOPE],
    sid: 'family-1',
    ttlSeconds: over.ttl ?? 300,
    now: over.now,
  });
}

async function listen(app: express.Express): Promise<{ base: string; server: Server }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const rpcHeaders = (token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

const call = (name: string, args: Record<string, unknown> = {}, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

let base: string;
const servers: Server[] = [];

const postMcp = (body: unknown, token?: string, at = base) =>
  fetch(`${at}/mcp`, { method: 'POST', headers: rpcHeaders(token), body: JSON.stringify(body) });

async function expectInvalidToken(token: string, description?: RegExp) {
  const res = await postMcp(call('echo', { text: 'x' }), token);
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain('error="invalid_token"');
  expect(challenge).toContain(`resource_metadata="${PRM_URL}"`);
  const body = (await res.json()) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_token');
  if (description) expect(body.error_description).toMatch(description);
}

beforeAll(async () => {
  key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  const started = await listen(createApp({ config, keys: keySet([key]), logger }));
  base = started.base;
  servers.push(started.server);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('protected resource metadata (RFC 9728)', () => {
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    it(`is served at ${path}`, async () => {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [PUBLIC_URL],
        scopes_supported: [...SUPPORTED_SCOPES],
        bearer_methods_supported: ['header'],
        resource_name: 'mcp-auth MCP server',
      });
    });
  }

  it('answers a CORS preflight', async () => {
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
  });
});

describe('bearer authentication', () => {
  it('lets an allowed page preflight without a token, and lets it read the challenge', async () => {
    const preflight = await fetch(`${base}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: INSPECTOR,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('mcp-protocol-version');
    expect(preflight.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...rpcHeaders(), origin: INSPECTOR },
      body: JSON.stringify(call('echo', { text: 'x' })),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
  });

  it('answers no token with 401 and a challenge naming the metadata and base scope', async () => {
    const res = await postMcp(call('echo', { text: 'x' }));
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toBe(`Bearer scope="${BASE_SCOPE}", resource_metadata="${PRM_URL}"`);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('answers another scheme with 401 invalid_request and a Bearer challenge', async () => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...rpcHeaders(), authorization: 'Basic dXNlcjpwYXNz' },
      body: JSON.stringify(call('echo', { text: 'x' })),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${PRM_URL}"`);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers a malformed bearer header with 400 invalid_request', async () => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...rpcHeaders(), authorization: 'Bearer two tokens' },
      body: JSON.stringify(call('echo', { text: 'x' })),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses a token in the query string', async () => {
    const { token } = issue();
    const res = await fetch(`${base}/mcp?access_token=${token}`, {
      method: 'POST',
      headers: rpcHeaders(),
      body: JSON.stringify(call('echo', { text: 'x' })),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('refuses a token for another audience', async () => {
    await expectInvalidToken(issue({ audience: `${PUBLIC_URL}/other` }).token, /audience/);
  });

  it('refuses a token from another issuer', async () => {
    await expectInvalidToken(issue({ issuer: 'https://evil.example' }).token, /issuer/);
  });

  it('refuses an expired token', async () => {
    await expectInvalidToken(issue({ now: Date.now() - 3600_000, ttl: 60 }).token, /expired/);
  });

  it('refuses a token with a tampered signature', async () => {
    const [h, p, s = ''] = issue().token.split('.');
    const i = Math.floor(s.length / 2);
    const tampered = `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    await expectInvalidToken(tampered, /signature/);
  });

  it('refuses a token whose claims were changed after signing', async () => {
    const { token, claims } = issue({ scopes: [BASE_SCOPE] });
    const [h, , s] = token.split('.');
    await expectInvalidToken(`${h}.${b64url({ ...claims, scope: `${BASE_SCOPE} ${IDENTITY_SCOPE}` })}.${s}`);
  });

  it('refuses a token signed by an unknown key', async () => {
    const other = signingKeyFromPem(generateSigningKeyPem('ES256'), 'ES256');
    await expectInvalidToken(issue({ signer: other }).token, /unknown signing key/);
  });

  it('refuses alg none', async () => {
    const { claims } = issue();
    const unsigned = `${b64url({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64url(claims)}.`;
    await expectInvalidToken(unsigned, /none/);
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const { claims } = issue();
    const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64url(claims)}`;
    const mac = createHmac('sha256', publicKeyPem(key)).update(input).digest('base64url');
    await expectInvalidToken(`${input}.${mac}`, /HS256/);
  });

  it('refuses a JWT that is not an access token (typ)', async () => {
    const { claims } = issue();
    const idLike = jwt.sign(claims, key.privateKey, { algorithm: 'RS256', keyid: key.kid });
    await expectInvalidToken(idLike, /typ/);
  });

  it('refuses garbage', async () => {
    await expectInvalidToken('not-a-jwt', /malformed/);
  });
});

describe('MCP over Streamable HTTP', () => {
  async function connect(token: string) {
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    return client;
  }

  it('initializes, lists tools and calls them with the SDK client', async () => {
    const client = await connect(issue().token);
    try {
      expect(client.getServerVersion()?.name).toBe('mcp-auth');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['echo', 'whoami']);

      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hello, world' } });
      expect(echoed.isError).toBeFalsy();
      expect(echoed.content).toEqual([{ type: 'text', text: 'hello, world' }]);

      const who = await client.callTool({ name: 'whoami', arguments: {} });
      expect(who.structuredContent).toEqual({
        sub: 'alice',
        client_id: 'client-123',
        scopes: [BASE_SCOPE, IDENTITY_SCOPE],
      });
      expect(JSON.parse((who.content as { text: string }[])[0]?.text ?? '')).toEqual(who.structuredContent);
    } finally {
      await client.close();
    }
  });

  it('answers raw JSON-RPC without a session (stateless)', async () => {
    const res = await postMcp(call('echo', { text: 'raw' }), issue().token);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'raw' }] },
    });
  });

  it('answers whoami with only the base scope with 403 insufficient_scope naming every scope needed', async () => {
    const res = await postMcp(call('whoami'), issue({ scopes: [BASE_SCOPE] }).token);
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${BASE_SCOPE} ${IDENTITY_SCOPE}"`);
    expect(challenge).toContain(`resource_metadata="${PRM_URL}"`);
    expect(((await res.json()) as { error: string }).error).toBe('insufficient_scope');
  });

  it('checks every call in a batch', async () => {
    const res = await postMcp(
      [call('echo', { text: 'a' }, 1), call('whoami', {}, 2)],
      issue({ scopes: [BASE_SCOPE] }).token,
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain(`scope="${BASE_SCOPE} ${IDENTITY_SCOPE}"`);
  });

  it('lets echo through with only the base scope', async () => {
    const res = await postMcp(call('echo', { text: 'ok' }), issue({ scopes: [BASE_SCOPE] }).token);
    expect(res.status).toBe(200);
  });

  it('requires the base scope to list tools', async () => {
    const res = await postMcp(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      issue({ scopes: [IDENTITY_SCOPE] }).token,
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain(`scope="${IDENTITY_SCOPE} ${BASE_SCOPE}"`);
    expect(((await res.json()) as { error: string }).error).toBe('insufficient_scope');
  });

  it('validates tool arguments', async () => {
    const res = await postMcp(call('echo', { text: 42 }), issue().token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result?: { isError?: boolean }; error?: unknown };
    expect(body.result?.isError ?? body.error).toBeTruthy();
  });

  it('answers malformed JSON with a JSON-RPC parse error', async () => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: rpcHeaders(issue().token),
      body: '{"jsonrpc":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it('answers a corrupt compressed body with 400, not 500', async () => {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...rpcHeaders(issue().token), 'content-encoding': 'gzip' },
      body: '{"jsonrpc":"2.0"}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });

  it('answers an oversized body with 413', async () => {
    const res = await postMcp(call('echo', { text: 'x'.repeat(2 * 1024 * 1024) }), issue().token);
    expect(res.status).toBe(413);
  });

  it('answers GET and DELETE with 405: no sessions, no server stream', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${base}/mcp`, { method, headers: rpcHeaders(issue().token) });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('still demands a token for GET', async () => {
    const res = await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(401);
  });
});

describe('revocation', () => {
  async function appWith(revocation: RevocationChecker) {
    const started = await listen(createApp({ config, keys: keySet([key]), logger, revocation }));
    servers.push(started.server);
    return started.base;
  }

  it('asks about the token, its grant and its client, and lets an unrevoked token through', async () => {
    const asked: [string, string, string][] = [];
    const at = await appWith({
      isRevoked: async ({ jti, sid, client_id }) => {
        asked.push([jti, sid, client_id]);
        return false;
      },
    });
    const { token, claims } = issue();
    const res = await postMcp(call('echo', { text: 'still valid' }), token, at);
    expect(res.status).toBe(200);
    expect(asked).toEqual([[claims.jti, claims.sid, claims.client_id]]);
  });

  it('refuses a revoked token with 401 invalid_token', async () => {
    const { token, claims } = issue();
    const at = await appWith({ isRevoked: async ({ jti }) => jti === claims.jti });
    const res = await postMcp(call('echo', { text: 'x' }), token, at);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'token revoked' });
  });

  it('fails closed with 503 and Retry-After when the revocation set cannot answer', async () => {
    for (const failure of [new RevocationUnavailableError('redis down'), new Error('anything else')]) {
      const at = await appWith({
        isRevoked: async () => {
          throw failure;
        },
      });
      const res = await postMcp(call('echo', { text: 'x' }), issue().token, at);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
    }
  });
});

describe('mounted beside other apps', () => {
  it('answers only its own paths and lets the rest fall through', async () => {
    const root = express();
    root.use(createApp({ config, keys: keySet([key]), logger }));
    root.use((_req, res) => {
      res.status(299).send('next app');
    });
    const started = await listen(root);
    servers.push(started.server);
    for (const path of ['/oauth/token', '/.well-known/oauth-authorization-server', '/mcpx']) {
      const res = await fetch(`${started.base}${path}`, { method: 'POST', body: 'x=1' });
      expect(res.status, path).toBe(299);
    }
  });
});
