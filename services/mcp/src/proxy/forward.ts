import type { RequestHandler, Response } from 'express';
import { Agent, type Dispatcher } from 'undici';
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
 * How long the headers of an event stream may wait for its first event to go out with it. On
 * loopback every write costs a system call that also runs the receiver's TCP work, and a separate
 * write for the headers was the largest single cost of a proxied tools/call; an upstream that
 * stays quiet (a slow tool) still shows its client the stream open after this delay.
 */
const EVENT_STREAM_HEADER_DELAY_MS = 10;

/** An answer that streams events, whose client must see the stream open before the first event. */
const isEventStream = (contentType: string | string[] | undefined) =>
  typeof contentType === 'string' && contentType.toLowerCase().startsWith('text/event-stream');

/**
 * Forwards an authorized request (every check has passed before this runs) to the upstream MCP
 * server and streams its answer back: JSON or Server-Sent Events, chunk by chunk, with
 * backpressure both ways. A client that goes away aborts the upstream request.
 * Only allow-listed headers cross in either direction; the access token never does.
 *
 * undici's `stream()` writes each upstream chunk straight into the client's response (pausing
 * the upstream while the client's socket is full), without the intermediate Readable and
 * `stream.pipeline` that `request()` needs: that machinery (a Readable, an AbortController and
 * a DOMException per finished request) was a measurable share of the proxy's CPU per request.
 */
export function forwardTo(options: UpstreamOptions): { handler: RequestHandler; close(): Promise<void> } {
  // Keep-alive connections to the upstream, reused across requests.
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  const log = options.logger.child({ upstream: options.url });
  const target = new URL(options.url);
  const upstreamOrigin = target.origin;
  const upstreamPath = `${target.pathname}${target.search}`;

  const handler: RequestHandler = async (req, res) => {
    const caller = callerOf((req as AuthenticatedRequest).auth);
    const body = req.method === 'POST' ? ((req as RequestWithRawBody).rawBody ?? Buffer.alloc(0)) : undefined;
    const abort = new AbortController();
    // Before the answer starts: the client leaving ends the upstream request. Once the answer
    // streams, undici also aborts the upstream when the response closes before it is complete.
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    // True once the upstream's status and headers have been written to the client.
    let answering = false;
    let flushTimer: NodeJS.Timeout | undefined;

    try {
      await agent.stream(
        {
          origin: upstreamOrigin,
          path: upstreamPath,
          method: req.method as Dispatcher.HttpMethod,
          headers: upstreamRequestHeaders(req.headers, caller, body),
          body,
          signal: abort.signal,
          headersTimeout: options.timeoutMs,
          // An SSE stream may stay quiet for long; the gateway's stream timeout bounds it.
          bodyTimeout: 0,
        },
        ({ statusCode, headers }) => {
          // writeHead keeps the upstream's media type as sent (express's res.set would add a
          // charset) and merges the headers set before (CORS from the Origin check).
          res.writeHead(statusCode, clientResponseHeaders(headers));
          answering = true;
          // A JSON answer goes out with its body in one write. The headers of an event stream go
          // out with its first event, or on their own if none comes soon.
          if (isEventStream(headers['content-type'])) {
            // Not `headersSent`: writeHead sets it at once, before anything is sent. Once an event
            // has carried the headers, flushing them again writes nothing.
            flushTimer = setTimeout(() => {
              if (!res.writableEnded && !res.destroyed) res.flushHeaders();
            }, EVENT_STREAM_HEADER_DELAY_MS);
          }
          return res;
        },
      );
    } catch (err) {
      if (abort.signal.aborted) return;
      if (answering) {
        // The upstream broke off mid-answer: nothing more to send, and the client must not take
        // the partial answer for a complete one.
        log.debug({ err }, 'upstream stream ended early');
        if (!res.writableFinished) res.destroy();
        return;
      }
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
    } finally {
      clearTimeout(flushTimer);
      res.off('close', onClose);
    }
  };

  return { handler, close: () => agent.close() };
}
