import { pipeline } from 'node:stream/promises';
import type { RequestHandler, Response } from 'express';
import { Agent, request, type Dispatcher } from 'undici';
import { callerOf, type AuthenticatedRequest } from '@mcp-auth/resource-server';
import type { Logger } from '@mcp-auth/core';
import { jsonRpcError, type RequestWithRawBody } from '../mcp/endpoint.ts';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.ts';

export interface UpstreamOptions {
  /** The upstream MCP server's Streamable HTTP endpoint. */
  url: string;
  /** Time the upstream has to send its response headers; a stream may then run as long as it likes. */
  timeoutMs: number;
  logger: Logger;
}

/** Connection errors that mean nobody answers at the upstream address. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function fail(res: Response, status: 502 | 504, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).json(jsonRpcError(-32000, message));
}

/**
 * Forwards an authorized request (every check has passed before this runs) to the upstream MCP
 * server and streams its answer back: JSON or Server-Sent Events, chunk by chunk, with
 * backpressure both ways (`stream.pipeline`). A client that goes away aborts the upstream request.
 * Only allow-listed headers cross in either direction; the access token never does.
 */
export function forwardTo(options: UpstreamOptions): { handler: RequestHandler; close(): Promise<void> } {
  // Keep-alive connections to the upstream, reused across requests.
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  const log = options.logger.child({ upstream: options.url });

  const handler: RequestHandler = async (req, res) => {
    const caller = callerOf((req as AuthenticatedRequest).auth);
    const body = req.method === 'POST' ? ((req as RequestWithRawBody).rawBody ?? Buffer.alloc(0)) : undefined;
    const abort = new AbortController();
    // Before the answer starts, and while it streams: the client leaving ends the upstream request.
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);

    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await request(options.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(req.headers, caller, body),
        body,
        signal: abort.signal,
        dispatcher: agent,
        headersTimeout: options.timeoutMs,
        // An SSE stream may stay quiet for long; the gateway's stream timeout bounds it.
        bodyTimeout: 0,
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      const code = (err as { code?: string }).code ?? '';
      if (code === 'UND_ERR_HEADERS_TIMEOUT') {
        log.warn(
          { method: req.method, timeoutMs: options.timeoutMs },
          'upstream MCP server too slow; answered 504',
        );
        return fail(res, 504, 'Gateway Timeout: the upstream MCP server did not answer in time');
      }
      log.warn(
        { method: req.method, err: code || (err as Error).message },
        UNREACHABLE.has(code)
          ? 'upstream MCP server unreachable; answered 502'
          : 'upstream request failed; answered 502',
      );
      return fail(res, 502, 'Bad Gateway: the upstream MCP server is unavailable');
    }

    res.status(upstream.statusCode).set(clientResponseHeaders(upstream.headers));
    // Headers now, so an SSE client sees its stream open before the first event.
    res.flushHeaders();
    try {
      await pipeline(upstream.body, res);
    } catch (err) {
      // The client left (aborted above) or the upstream broke off mid-answer: nothing more to send.
      if (!abort.signal.aborted) log.debug({ err }, 'upstream stream ended early');
      res.destroy();
    } finally {
      res.off('close', onClose);
    }
  };

  return { handler, close: () => agent.close() };
}
