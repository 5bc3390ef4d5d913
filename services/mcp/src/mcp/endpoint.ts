import express, { type Request, type RequestHandler } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '@mcp-auth/core';
import type { Tool } from '../tools/index.ts';
import { createMcpServer } from './server.ts';

/**
 * Streamable HTTP in stateless mode: every POST gets a fresh server and transport, and nothing
 * survives the request. Any replica can therefore answer any request, so the service scales
 * behind the gateway with no sticky sessions (`docker compose up --scale mcp=2`). The price is no
 * server-initiated stream (GET) and no session to DELETE; our tools need neither.
 *
 * DNS-rebinding protection (the transport's allowedHosts/allowedOrigins) is left off: requests
 * reach us through the gateway under PUBLIC_URL, and every one of them must carry a bearer token,
 * which a rebinding page cannot obtain.
 */
export function handleMcpPost(deps: {
  tools: readonly Tool[];
  /** Each tool's own scopes, from the policy. */
  toolScopes: ReadonlyMap<string, readonly string[]>;
  logger: Logger;
}): RequestHandler {
  return async (req, res) => {
    const server = createMcpServer(deps.tools, deps.toolScopes);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      // One JSON answer per POST: nothing to stream in stateless mode, and proxies need no SSE tuning.
      enableJsonResponse: true,
    });
    // Client mistakes (wrong Accept, bad JSON-RPC) are answered by the transport; keep them out of warn logs.
    transport.onerror = (err) => deps.logger.debug({ err }, 'mcp transport error');
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };
}

export const jsonRpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  error: { code, message },
  id: null,
});

/**
 * The methods an endpoint does not serve: for the built-in tools GET (server stream) and DELETE
 * (end session), which have nothing to act on without sessions; for a proxied server, anything
 * but the transport's POST, GET and DELETE.
 */
export const methodNotAllowed =
  (allow: string): RequestHandler =>
  (_req, res) => {
    res.status(405).set('Allow', allow).json(jsonRpcError(-32000, 'Method not allowed.'));
  };

/** The request body as received (decompressed), for forwarding it unchanged. */
export type RequestWithRawBody = Request & { rawBody?: Buffer };

const JSON_MEDIA_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;
const isJson = (contentType: string | undefined) => JSON_MEDIA_TYPE.test(contentType ?? '');

/**
 * The JSON body parser, answering its own failures the way the transport answers a bad body
 * (JSON-RPC error objects). Every parser failure is the client's doing — bad JSON, too large,
 * an unknown charset, a corrupt gzip stream — so none of them may become a 500. A POST that is
 * not JSON is refused here (415): the scope checks must be able to read every message.
 */
export function jsonRpcBody(limit: string): RequestHandler {
  const parse = express.json({
    limit,
    // Any JSON media type; the rest is refused below rather than passed on unread.
    type: (req) => isJson(req.headers['content-type']),
    verify: (req, _res, buf) => {
      (req as unknown as RequestWithRawBody).rawBody = buf;
    },
  });
  return (req, res, next) => {
    if (!isJson(req.get('content-type'))) {
      res
        .status(415)
        .json(jsonRpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'));
      return;
    }
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
      if (type === 'entity.too.large') {
        res.status(413).json(jsonRpcError(-32000, 'Payload Too Large'));
      } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        res.status(415).json(jsonRpcError(-32000, 'Unsupported Media Type: unsupported body encoding'));
      } else if (typeof status === 'number' && status >= 400 && status < 500) {
        res.status(400).json(jsonRpcError(-32700, 'Parse error: Invalid JSON'));
      } else {
        next(err);
      }
    });
  };
}
