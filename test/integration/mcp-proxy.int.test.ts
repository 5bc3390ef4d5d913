import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  createLogger,
  createPrisma,
  createRedis,
  freePort,
  generateSigningKeyPem,
  RedisRevocationStore,
  signAccessToken,
  signingKeyFromPem,
  type PrismaClient,
  type Redis,
  type SigningKey,
} from '@mcp-auth/core';
import { remoteJwks } from '@mcp-auth/resource-server';
import { createApp, type McpApp } from '../../services/mcp/src/app.ts';
import { mcpConfigFrom } from '../../services/mcp/src/config.ts';
import { jwksRouter } from '../../services/authz/src/jwks.ts';
import { startPostgres, startRedis, type TestDatabase, type TestRedis } from '../support/infra.ts';
import { startUpstreamMcp, type UpstreamMcp } from '../support/upstream-mcp.ts';

/**
 * services/mcp as an authorizing proxy in front of real MCP SDK servers on loopback: the policy
 * file names two protected servers (a stateful upstream at /files, a stateless one at /notes),
 * keys come from the issuer's JWKS URL (authz's own router), and revocation is the Redis set
 * written by core's store. Each upstream records what reaches it.
 */

const logger = createLogger('proxy-test', 'silent');
let db: TestDatabase;
let redisServer: TestRedis;
let prisma: PrismaClient;
let redis: Redis;
let revocation: RedisRevocationStore;
let key: SigningKey;
let files: UpstreamMcp;
let notes: UpstreamMcp;
let base: string;
let policyDir: string;
const servers: Server[] = [];
const apps: McpApp[] = [];

const POLICY = (filesUpstream: string, notesUpstream: string) => `
scopes:
  files:read: Read your files
  files:admin: Delete your files
  files:review: Ask for reviews
  notes:read: Read your notes
default_scope: files:read
servers:
  - path: /files
    name: Files
    upstream: ${filesUpstream}
    tools:
      delete_everything: files:admin
    resources:
      file:///secret.txt: files:admin
    prompts:
      review: files:review
  - path: /notes
    upstream: ${notesUpstream}
    required: notes:read
`;

async function listen(
  handler: express.Express | ((...a: never[]) => void),
): Promise<{ server: Server; base: string }> {
  const server = createServer(handler as Parameters<typeof createServer>[0] & object);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The mcp app for a policy, listening on its own PUBLIC_URL; the issuer serves the JWKS there too. */
async function startProxy(policy: string, env: Record<string, string> = {}): Promise<string> {
  const path = join(policyDir, `policy-${apps.length}.yaml`);
  await writeFile(path, policy);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = mcpConfigFrom({
    PUBLIC_URL: publicUrl,
    MCP_POLICY_PATH: path,
    MCP_UPSTREAM_TIMEOUT: Number(env.MCP_UPSTREAM_TIMEOUT ?? 30),
  });
  const app = createApp({ config, keys: remoteJwks(`${publicUrl}/oauth/jwks.json`), logger, revocation });
  apps.push(app);
  const root = express();
  root.use(jwksRouter([key]));
  root.use(app);
  server.on('request', root);
  return publicUrl;
}

function issue(
  over: { audience?: string; scopes?: string[]; signer?: SigningKey; ttl?: number; now?: number } = {},
) {
  return signAccessToken(over.signer ?? key, {
    issuer: base,
    subject: 'alice',
    audience: over.audience ?? `${base}/files`,
    clientId: 'client-1',
    scopes: over.scopes ?? ['files:read'],
    sid: `family-${Math.random()}`,
    ttlSeconds: over.ttl ?? 300,
    now: over.now,
  });
}

/** /notes is the stateless upstream: a raw request needs no session there. */
const forNotes = (scopes = ['notes:read']) => issue({ audience: `${base}/notes`, scopes }).token;

const headers = (token?: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});
const rpc = (method: string, params: Record<string, unknown> = {}, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
});
const post = (path: string, body: unknown, token?: string, extra: Record<string, string> = {}, at = base) =>
  fetch(`${at}${path}`, { method: 'POST', headers: headers(token, extra), body: JSON.stringify(body) });

/** A recorded request carrying this marker, so each test finds only its own traffic. */
const reached = (upstream: UpstreamMcp, marker: string) =>
  upstream.received.filter((r) => JSON.stringify(r.body ?? '').includes(marker));

async function connect(path: string, token: string): Promise<Client> {
  const client = new Client({ name: 'proxy-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}${path}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

beforeAll(async () => {
  [db, redisServer] = await Promise.all([startPostgres(), startRedis()]);
  prisma = createPrisma(db.url, { max: 2 });
  redis = createRedis(redisServer.url);
  await redis.connect();
  revocation = new RedisRevocationStore(redis, prisma, redisServer.keyPrefix, logger);
  key = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
  [files, notes] = await Promise.all([
    startUpstreamMcp({ stateful: true }),
    startUpstreamMcp({ stateful: false }),
  ]);
  policyDir = await mkdtemp(join(tmpdir(), 'mcp-proxy-policy-'));
  base = await startProxy(POLICY(files.url, notes.url));
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.closeUpstreams()));
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all([files?.close(), notes?.close()]);
  redis?.disconnect();
  await prisma?.$disconnect();
  await Promise.all([db?.stop(), redisServer?.stop()]);
  if (policyDir) await rm(policyDir, { recursive: true, force: true });
});

describe('the MCP SDK client through the proxy', () => {
  it('uses a stateful upstream: session, tools, resources, prompts, SSE notifications on the response and on the GET stream, DELETE', async () => {
    const client = await connect('/files', issue({ scopes: ['files:read', 'files:review'] }).token);
    const logs: string[] = [];
    client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void logs.push(String(n.params.data)),
    );
    let toolsChanged!: () => void;
    const changed = new Promise<void>((resolve) => (toolsChanged = resolve));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => toolsChanged());
    try {
      expect(client.getServerVersion()?.name).toBe('upstream-test');
      const transport = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport;
      const sessionId = transport.sessionId;
      expect(sessionId).toBeTruthy();
      expect(files.sessions()).toContain(sessionId);

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'through the proxy' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'through the proxy' }]);

      // Notifications sent while the call runs arrive on its SSE response, in order.
      const counted = await client.callTool({ name: 'count', arguments: { to: 5 } });
      expect(counted.content).toEqual([{ type: 'text', text: 'counted to 5' }]);
      expect(logs).toEqual(['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);

      const publicFile = await client.readResource({ uri: 'file:///public.txt' });
      expect(publicFile.contents[0]).toMatchObject({ text: 'anyone may read this' });
      const note = await client.readResource({ uri: 'note://7' });
      expect(note.contents[0]).toMatchObject({ text: 'note 7' });
      const prompts = await client.listPrompts();
      expect(prompts.prompts.map((p) => p.name).sort()).toEqual(['greet', 'review']);
      const greet = await client.getPrompt({ name: 'greet', arguments: { name: 'Bob' } });
      expect(greet.messages[0]?.content).toEqual({ type: 'text', text: 'Say hello to Bob' });
      expect((await client.getPrompt({ name: 'review' })).messages).toHaveLength(1);

      // Every request of this session reached the upstream with the session id.
      const ofSession = files.received.filter((r) => r.headers['mcp-session-id'] === sessionId);
      expect(ofSession.some((r) => r.method === 'GET')).toBe(true);
      expect(ofSession.every((r) => r.headers['mcp-protocol-version'])).toBe(true);

      // A server-initiated notification travels down the standalone GET stream.
      files.notifyToolsChanged();
      await changed;

      await transport.terminateSession();
      expect(
        files.received.some((r) => r.method === 'DELETE' && r.headers['mcp-session-id'] === sessionId),
      ).toBe(true);
      expect(files.sessions()).not.toContain(sessionId);
    } finally {
      await client.close();
    }
  });

  it('uses a stateless upstream', async () => {
    const client = await connect(
      '/notes',
      issue({ audience: `${base}/notes`, scopes: ['notes:read'] }).token,
    );
    try {
      const transport = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport;
      expect(transport.sessionId).toBeUndefined();
      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'stateless' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'stateless' }]);
    } finally {
      await client.close();
    }
  });

  it('streams 10,000 notifications in one SSE response', async () => {
    const res = await post(
      '/notes',
      rpc('tools/call', { name: 'count', arguments: { to: 10_000 } }),
      forNotes(),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text.match(/notifications\/message/g)).toHaveLength(10_000);
    expect(text).toContain('counted to 10000');
  });
});

describe('what reaches the upstream', () => {
  it('never the access token, and the verified identity in headers the client cannot forge', async () => {
    const { token } = issue({ scopes: ['files:read', 'files:review'] });
    const res = await post(
      '/notes',
      rpc('tools/call', { name: 'echo', arguments: { text: 'identity-1' } }),
      forNotes(),
      {
        'x-mcp-auth-subject': 'mallory',
        'X-MCP-Auth-Scope': 'everything',
        'x-mcp-auth-client-id': 'forged',
        cookie: 'session=1',
        'x-forwarded-for': '203.0.113.9',
      },
    );
    expect(res.status).toBe(200);
    const [got] = reached(notes, 'identity-1');
    expect(got).toBeDefined();
    expect(got!.headers.authorization).toBeUndefined();
    expect(got!.headers.cookie).toBeUndefined();
    expect(got!.headers['x-forwarded-for']).toBeUndefined();
    expect(got!.headers['x-mcp-auth-subject']).toBe('alice');
    expect(got!.headers['x-mcp-auth-client-id']).toBe('client-1');
    expect(got!.headers['x-mcp-auth-scope']).toBe('notes:read');
    expect(JSON.stringify(got)).not.toContain(token.split('.')[2]);
  });

  it('nothing from an anonymous, forged, expired, wrong-audience or revoked request', async () => {
    const other = signingKeyFromPem(generateSigningKeyPem('RS256'), 'RS256');
    const revoked = issue();
    await revocation.revoke([
      { kind: 'jti', value: revoked.claims.jti, expiresAt: new Date(revoked.claims.exp * 1000) },
    ]);
    const [h, p, s = ''] = issue().token.split('.');
    const cases: [string, string | undefined, number][] = [
      ['anonymous', undefined, 401],
      ['unknown-key', issue({ signer: other }).token, 401],
      ['tampered', `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`, 401],
      ['expired', issue({ now: Date.now() - 3_600_000, ttl: 60 }).token, 401],
      ['for-notes', issue({ audience: `${base}/notes`, scopes: ['files:read', 'notes:read'] }).token, 401],
      ['revoked', revoked.token, 401],
      ['garbage', 'not-a-jwt', 401],
    ];
    for (const [name, token, status] of cases) {
      const marker = `refused-${name}`;
      for (const method of ['POST', 'GET', 'DELETE']) {
        const res =
          method === 'POST'
            ? await post('/files', rpc('tools/call', { name: 'echo', arguments: { text: marker } }), token)
            : await fetch(`${base}/files`, { method, headers: headers(token, { 'mcp-session-id': marker }) });
        expect(res.status, `${name} ${method}`).toBe(status);
        expect(res.headers.get('www-authenticate'), name).toContain(
          `resource_metadata="${base}/.well-known/oauth-protected-resource/files"`,
        );
      }
      expect(reached(files, marker), name).toEqual([]);
      expect(
        files.received.filter((r) => r.headers['mcp-session-id'] === marker),
        name,
      ).toEqual([]);
    }
  });

  it('nothing from a page of a foreign origin, and nothing over the body limit', async () => {
    const res = await post(
      '/files',
      rpc('tools/call', { name: 'echo', arguments: { text: 'foreign-origin' } }),
      issue().token,
      {
        origin: 'https://evil.example',
      },
    );
    expect(res.status).toBe(403);
    const ok = await post(
      '/notes',
      rpc('tools/call', { name: 'echo', arguments: { text: 'own-origin' } }),
      forNotes(),
      {
        origin: base,
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(base);
    const big = await post(
      '/files',
      rpc('tools/call', { name: 'echo', arguments: { text: `too-big${'x'.repeat(1_100_000)}` } }),
      issue().token,
    );
    expect(big.status).toBe(413);
    expect(reached(files, 'foreign-origin')).toEqual([]);
    expect(files.received.some((r) => JSON.stringify(r.body ?? '').includes('too-big'))).toBe(false);
    const notJson = await fetch(`${base}/files`, {
      method: 'POST',
      headers: { ...headers(issue().token), 'content-type': 'text/plain' },
      body: JSON.stringify(rpc('tools/call', { name: 'delete_everything' })),
    });
    expect(notJson.status).toBe(415);
  });
});

describe('methods', () => {
  it('answers other methods with 405 naming the transport methods, after authentication', async () => {
    const res = await fetch(`${base}/notes`, { method: 'PUT', headers: headers(forNotes()), body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET, DELETE');
    const anonymous = await fetch(`${base}/notes`, { method: 'PUT', body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});

describe('per-tool policy', () => {
  const insufficient = async (res: Response, scope: string) => {
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${scope}"`);
    expect(((await res.json()) as { error: string }).error).toBe('insufficient_scope');
  };

  it('refuses tools/call, resources/read and prompts/get without their scopes, before the upstream, naming the scopes', async () => {
    const { token } = issue({ scopes: ['files:read'] });
    await insufficient(
      await post(
        '/files',
        rpc('tools/call', { name: 'delete_everything', arguments: {}, marker: 'policy-tool' }),
        token,
      ),
      'files:read files:admin',
    );
    await insufficient(
      await post(
        '/files',
        rpc('resources/read', { uri: 'file:///secret.txt', marker: 'policy-resource' }),
        token,
      ),
      'files:read files:admin',
    );
    await insufficient(
      await post('/files', rpc('prompts/get', { name: 'review', marker: 'policy-prompt' }), token),
      'files:read files:review',
    );
    await insufficient(
      await post(
        '/files',
        [
          rpc('tools/call', { name: 'echo', arguments: { text: 'policy-batch' } }, 1),
          rpc('prompts/get', { name: 'review' }, 2),
          rpc('tools/call', { name: 'delete_everything' }, 3),
        ],
        token,
      ),
      'files:read files:review files:admin',
    );
    for (const marker of ['policy-tool', 'policy-resource', 'policy-prompt', 'policy-batch']) {
      expect(reached(files, marker), marker).toEqual([]);
    }
  });

  it('lets the call through once the client has stepped up to the scopes the 403 named', async () => {
    const first = await post(
      '/files',
      rpc('tools/call', { name: 'delete_everything', arguments: {} }),
      issue().token,
    );
    const named = /scope="([^"]+)"/.exec(first.headers.get('www-authenticate') ?? '')?.[1];
    expect(named).toBe('files:read files:admin');
    const client = await connect('/files', issue({ scopes: named!.split(' ') }).token);
    try {
      const result = await client.callTool({ name: 'delete_everything', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'deleted' }]);
      const secret = await client.readResource({ uri: 'file:///secret.txt' });
      expect(secret.contents[0]).toMatchObject({ text: 'the secret' });
    } finally {
      await client.close();
    }
  });

  it('needs the server-wide scope for anything at all', async () => {
    const res = await post(
      '/notes',
      rpc('tools/list', { marker: 'notes-required' }),
      issue({ audience: `${base}/notes`, scopes: ['files:read'] }).token,
    );
    await insufficient(res, 'files:read notes:read');
    expect(reached(notes, 'notes-required')).toEqual([]);
  });
});

describe('several servers, one issuer', () => {
  it('gives each its own metadata and audience: a token for one is refused at the other', async () => {
    for (const [path, name] of [
      ['/files', 'Files'],
      ['/notes', 'MCP server at /notes'],
    ]) {
      const res = await fetch(`${base}/.well-known/oauth-protected-resource${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: `${base}${path}`,
        authorization_servers: [base],
        scopes_supported: ['files:read', 'files:admin', 'files:review', 'notes:read'],
        resource_name: name,
      });
    }
    const forFiles = issue({ scopes: ['files:read', 'notes:read'] }).token;
    const atNotes = await post('/notes', rpc('tools/list', { marker: 'cross-audience' }), forFiles);
    expect(atNotes.status).toBe(401);
    expect(atNotes.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(atNotes.headers.get('www-authenticate')).toContain(
      `${base}/.well-known/oauth-protected-resource/notes`,
    );
    expect(((await atNotes.json()) as { error_description: string }).error_description).toMatch(/audience/);
    expect(reached(notes, 'cross-audience')).toEqual([]);
  });
});

describe('upstream failures', () => {
  /** A token from another proxy's issuer (each test proxy is its own PUBLIC_URL). */
  const issueAt = (at: string) =>
    signAccessToken(key, {
      issuer: at,
      subject: 'alice',
      audience: `${at}/files`,
      clientId: 'client-1',
      scopes: ['files:read'],
      sid: 'family-failures',
      ttlSeconds: 300,
    }).token;

  it('answers 502 with a JSON-RPC error when the upstream is down', async () => {
    const down = `http://127.0.0.1:${await freePort()}/mcp`;
    const at = await startProxy(POLICY(down, down));
    const failed = await post('/files', rpc('tools/list'), issueAt(at), {}, at);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
  });

  it('answers 504 when the upstream does not answer in time', async () => {
    // Accepts the connection and the request, never answers.
    const silent = await listen(() => undefined);
    const at = await startProxy(POLICY(`${silent.base}/mcp`, `${silent.base}/mcp`), {
      MCP_UPSTREAM_TIMEOUT: '0.3',
    });
    const res = await post('/files', rpc('tools/list'), issueAt(at), {}, at);
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
  });

  it('passes an answer on as the upstream sent it, and cuts off one the upstream breaks off', async () => {
    const json = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
    // A hand-written upstream: a complete JSON answer, or an event stream that dies after one event.
    const raw = await listen((req: express.Request, res: express.Response) => {
      req.resume();
      req.on('end', () => {
        if (req.headers['x-mcp-auth-scope'] === undefined) return res.destroy();
        if (req.url?.includes('broken')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\n');
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'raw-1' });
        res.end(json);
      });
    });
    const at = await startProxy(POLICY(`${raw.base}/mcp`, `${raw.base}/mcp?broken`));
    const whole = await post('/files', rpc('tools/list'), issueAt(at), {}, at);
    expect(whole.status).toBe(200);
    // As sent: no charset added, the session header kept.
    expect(whole.headers.get('content-type')).toBe('application/json');
    expect(whole.headers.get('mcp-session-id')).toBe('raw-1');
    expect(await whole.text()).toBe(json);

    const notesToken = signAccessToken(key, {
      issuer: at,
      subject: 'alice',
      audience: `${at}/notes`,
      clientId: 'client-1',
      scopes: ['notes:read'],
      sid: 'family-failures',
      ttlSeconds: 300,
    }).token;
    const broken = await post('/notes', rpc('tools/list'), notesToken, {}, at);
    // The stream opened with its first event; the client must not take what follows for a whole answer.
    expect(broken.status).toBe(200);
    expect(broken.headers.get('content-type')).toBe('text/event-stream');
    await expect(broken.text()).rejects.toThrow();
  });

  it("sends an event stream's headers before its first event when the upstream is quiet", async () => {
    // The upstream holds its first event until the client has the answer's headers: without them
    // on their own, the client would wait for the event and the event for the client (a timeout).
    let clientHasHeaders!: () => void;
    const headersSeen = new Promise<void>((resolve) => (clientHasHeaders = resolve));
    const quiet = await listen((req: express.Request, res: express.Response) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        void headersSeen.then(() =>
          res.end('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"tools":[]}}\n\n'),
        );
      });
    });
    const at = await startProxy(POLICY(`${quiet.base}/mcp`, `${quiet.base}/mcp`));
    const res = await post('/files', rpc('tools/list'), issueAt(at), {}, at);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    clientHasHeaders();
    expect(await res.text()).toContain('"result":{"tools":[]}');
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/notes`, {
      method: 'POST',
      headers: headers(forNotes()),
      body: JSON.stringify(rpc('tools/call', { name: 'hang', arguments: {} })),
      signal: abort.signal,
    });
    // The upstream has the call (its SSE response is open) before the client goes away.
    expect(res.status).toBe(200);
    abort.abort();
    const aborted = await notes.hangAborted;
    expect(aborted.aborted).toBe(true);
  });
});
