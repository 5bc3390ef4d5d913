import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/**
 * An operator's own MCP server, as the proxy tests put mcp-auth in front of it: the real MCP SDK
 * over Streamable HTTP on loopback, with tools, resources, prompts, server-sent notifications, and
 * a stateful (sessions) or stateless mode. It knows nothing of OAuth, and records every request it
 * receives so tests can show what did, and did not, reach it.
 */

export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The JSON-RPC body of a POST. */
  body: unknown;
  /** True when the connection closed before the answer was complete (the proxy aborted it). */
  aborted: boolean;
}

export interface UpstreamMcp {
  url: string;
  received: ReceivedRequest[];
  /** Resolves when a request to the `hang` tool has been aborted by its caller. */
  hangAborted: Promise<ReceivedRequest>;
  /** Sends a tool-list-changed notification on every session's standalone GET stream. */
  notifyToolsChanged(): void;
  /** Every session id the server created and has not seen deleted. */
  sessions(): string[];
  close(): Promise<void>;
}

function mcpServer(): McpServer {
  const server = new McpServer(
    { name: 'upstream-test', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true }, resources: {}, prompts: {}, logging: {} } },
  );
  server.registerTool(
    'echo',
    { description: 'Returns its text', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'count',
    {
      description:
        'Sends `to` log notifications (each padded to `pad` characters) on the response stream, then answers',
      inputSchema: {
        to: z.number().int().min(0).max(100_000),
        pad: z.number().int().min(0).max(65_536).default(0),
      },
    },
    async ({ to, pad }, extra) => {
      for (let i = 1; i <= to; i++) {
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level: 'info', data: `tick ${i}`.padEnd(pad, '.') },
        });
      }
      return { content: [{ type: 'text', text: `counted to ${to}` }] };
    },
  );
  server.registerTool('delete_everything', { description: 'Needs an admin scope (policy)' }, () => ({
    content: [{ type: 'text', text: 'deleted' }],
  }));
  server.registerTool('hang', { description: 'Never answers until its caller goes away' }, (extra) => {
    return new Promise((resolve) => {
      extra.signal.addEventListener('abort', () => resolve({ content: [{ type: 'text', text: 'aborted' }] }));
    });
  });
  server.registerResource('public', 'file:///public.txt', { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, text: 'anyone may read this' }],
  }));
  server.registerResource('secret', 'file:///secret.txt', { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, text: 'the secret' }],
  }));
  server.registerResource(
    'note',
    new ResourceTemplate('note://{id}', { list: undefined }),
    { mimeType: 'text/plain' },
    (uri, { id }) => ({ contents: [{ uri: uri.href, text: `note ${String(id)}` }] }),
  );
  server.registerPrompt('greet', { argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}` } }],
  }));
  server.registerPrompt('review', { description: 'Needs a review scope (policy)' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'Review this' } }],
  }));
  return server;
}

export async function startUpstreamMcp(opts: {
  stateful: boolean;
  /** False for load runs: nothing is kept per request. */
  record?: boolean;
}): Promise<UpstreamMcp> {
  const received: ReceivedRequest[] = [];
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  let onHangAborted: (r: ReceivedRequest) => void = () => undefined;
  const hangAborted = new Promise<ReceivedRequest>((resolve) => (onHangAborted = resolve));

  const app = express();
  app.use(express.json({ limit: '10mb' }));
  app.use((req, res, next) => {
    if (opts.record === false) return next();
    const record: ReceivedRequest = {
      method: req.method,
      headers: req.headers,
      body: req.body,
      aborted: false,
    };
    received.push(record);
    res.on('close', () => {
      if (res.writableFinished) return;
      record.aborted = true;
      const message = record.body as { params?: { name?: string } } | undefined;
      if (message?.params?.name === 'hang') onHangAborted(record);
    });
    next();
  });

  app.all('/mcp', async (req, res) => {
    if (!opts.stateful) {
      const server = mcpServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
      return;
    }
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? sessions.get(id) : undefined;
    if (existing) {
      await existing.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      res
        .status(404)
        .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      return;
    }
    const server = mcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, { transport, server }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  const http: Server = createServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    received,
    hangAborted,
    notifyToolsChanged: () => {
      for (const { server } of sessions.values()) server.sendToolListChanged();
    },
    sessions: () => [...sessions.keys()],
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
