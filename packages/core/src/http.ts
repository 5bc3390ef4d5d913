import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import express, { Router } from 'express';
import type { z } from 'zod';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { requestListener } from './direct-routes.ts';
import { OAuthError, temporarilyUnavailable } from './errors.ts';
import type { Logger } from './logger.ts';

/**
 * Validates input at the edge. The first problem becomes the error description, naming the field,
 * so a client developer can fix the request without reading our code.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  toError: (description: string) => OAuthError = (d) => new OAuthError('invalid_request', d),
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.');
  throw toError(field ? `${field}: ${issue?.message}` : (issue?.message ?? 'invalid input'));
}

/** OAuth responses that carry credentials must not be cached (RFC 6749 §5.1). */
export function noStore(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

/**
 * A 200 JSON answer written in one step, for the token and introspection endpoints: `res.json`
 * goes through `res.send`, which re-derives the charset, checks request freshness and measures the
 * body again, a few percent of those endpoints' CPU. Node sets Content-Length itself when `end`
 * gets the whole body before the headers went out.
 */
export function sendJson(res: ServerResponse, body: unknown): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * Any thrown value as an OAuthError: ours as they are, body-parser's as the client's fault (4xx),
 * anything else as our own fault (logged, 500, no detail leaked).
 */
export function toOAuthError(
  err: unknown,
  logger: Logger,
  req: Pick<IncomingMessage, 'method' | 'url'>,
): OAuthError {
  if (err instanceof OAuthError) return err;
  if (isBodyParserError(err)) {
    if (err.type === 'entity.too.large')
      return new OAuthError('invalid_request', 'request body too large', 413);
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
      return new OAuthError('invalid_request', 'unsupported body encoding', 415);
    }
    return new OAuthError('invalid_request', 'malformed request body', err.status);
  }
  if (isInvalidTextError(err)) {
    // A backstop for input the edge checks missed: the database refused it, nothing was written.
    return new OAuthError('invalid_request', 'the request contains characters that are not allowed');
  }
  if (isDatabaseUnavailable(err)) {
    // A PostgreSQL failover, restart or overload: the client retries; the next request gets a new connection.
    logger.warn(
      { err: (err as Error).message, method: req.method, path: pathOf(req) },
      'database unavailable',
    );
    return temporarilyUnavailable('the service cannot reach its database now; retry', 1);
  }
  logger.error({ err, method: req.method, path: pathOf(req) }, 'unhandled error');
  return new OAuthError('server_error', 'internal error', 500);
}

/** The path without the query, which may carry credentials. */
const pathOf = (req: Pick<IncomingMessage, 'url'>) => req.url?.split('?', 1)[0];

/** PostgreSQL's "invalid byte sequence" / "untranslatable character", as Prisma's adapter reports it. */
function isInvalidTextError(err: unknown): boolean {
  const code = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)
    ?.meta?.driverAdapterError?.cause?.originalCode;
  return code === '22021' || code === '22P05';
}

const MAX_DEPTH = 8;
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

/**
 * NUL is never meaningful in OAuth parameters, and PostgreSQL cannot store it in text: refuse it at
 * the edge (query and parsed body), so it never reaches the database. Mount it
 * after the body parser.
 */
export const rejectNul: RequestHandler = (req, _res, next) => {
  const found = containsNul(req.query) || containsNul(req.body);
  next(found ? new OAuthError('invalid_request', 'the request contains a NUL character') : undefined);
};

/** Renders every error as RFC 6749 §5.2 JSON. */
export function oauthErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    sendOAuthError(res, toOAuthError(err, logger, req));
  };
}

/** RFC 6749 §5.2 JSON, never cached. */
export function sendOAuthError(res: ServerResponse, e: OAuthError): void {
  noStore(res);
  res.statusCode = e.status;
  for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
  sendJson(res, e.toJSON());
}

/**
 * body-parser's errors (and zlib's, for a corrupt gzip body) carry a 4xx `status` and
 * `expose: true`, the router's undecodable parameters a 4xx URIError: the client's fault, never a 500.
 */
function isBodyParserError(err: unknown): err is { type?: string; status: number } {
  if (typeof err !== 'object' || err === null) return false;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  // The router's own URIError (a path parameter like %ZZ that does not decode) has no `expose`.
  const clientFault = expose === true || err instanceof URIError;
  return typeof status === 'number' && status >= 400 && status < 500 && clientFault;
}

/**
 * Express matches paths case-insensitively and ignores a trailing slash by default, so
 * `/oauth/Register/` would reach the handler of `/oauth/register` while a proxy in front (the
 * gateway's rate limits) counts it as another path. Every router here matches paths exactly.
 */
export const strictRouter = (): Router => Router({ caseSensitive: true, strict: true });

/**
 * An express app that matches paths exactly (see strictRouter) and does not name itself. Routing
 * settings must be in place before the first route: Express 5 creates the app's router from them
 * on first use. Trust proxy stays off: only an app behind the gateway may turn it on.
 */
export function strictApp(): Express {
  const app = express();
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.disable('x-powered-by');
  return app;
}

export type ReadinessCheck = () => Promise<unknown>;

/**
 * `/healthz`: the process answers. `/readyz`: every dependency answers within `timeoutMs`;
 * 503 names the ones that did not, so an operator sees which server is down.
 */
export function healthRoutes(checks: Record<string, ReadinessCheck>, timeoutMs = 2000): Router {
  const router = strictRouter();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
            }),
          ]);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `unavailable: ${(err as Error).message}`] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ok = results.every(([, status]) => status === 'ok');
    res
      .status(ok ? 200 : 503)
      .json({ status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
  });
  return router;
}

/**
 * Listens, and on SIGTERM/SIGINT stops accepting, lets in-flight requests finish (up to
 * `graceMs`), runs `onClose` (pools, clients) and exits 0.
 */
export async function serve(opts: {
  app: Express;
  port: number;
  host?: string;
  logger: Logger;
  onClose?: () => Promise<void>;
  graceMs?: number;
}): Promise<Server> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(requestListener(opts.app));
    s.once('error', reject);
    s.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  // Keep-alive longer than a typical proxy's, so the gateway never reuses a socket we closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    opts.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      opts.logger.warn('grace period over; closing remaining connections');
      server.closeAllConnections();
    }, opts.graceMs ?? 10_000);
    force.unref();
    server.close(async () => {
      try {
        await opts.onClose?.();
      } catch (err) {
        opts.logger.error({ err }, 'error while closing resources');
      }
      opts.logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  // `on`, not `once`: a second signal during shutdown must not fall back to Node's default
  // (death by signal), or in-flight requests would be cut and the exit code lost.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const address = server.address();
  opts.logger.info({ port: typeof address === 'object' && address ? address.port : opts.port }, 'listening');
  return server;
}

/** Start-up failures print one clear line (no stack) and exit 1. */
export function exitOnStartupError(logger: Logger): (err: unknown) => never {
  return (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal(
      { err: err instanceof Error && !isExpected(err) ? err : undefined },
      `start-up failed: ${message}`,
    );
    console.error(`start-up failed: ${message}`);
    process.exit(1);
  };
}

const isExpected = (err: Error) =>
  ['ConfigError', 'KeyError', 'MigrationError', 'DependencyError'].includes(err.name);

/** A dependency (database, cache) that could not be reached at start. */
export class DependencyError extends Error {
  override name = 'DependencyError';
}

/** Waits for a dependency at start-up, so a slow database gives a clear message, not a crash loop. */
export async function waitFor(
  name: string,
  target: string,
  check: () => Promise<unknown>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new DependencyError(`${name} at ${target} is unreachable: ${(last as Error)?.message ?? 'timeout'}`);
}

/** A URL with credentials removed, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // REDIS_URL's Sentinel password travels in the query, with one host as with several.
    if (u.searchParams.has('sentinel_password')) u.searchParams.set('sentinel_password', '***');
    return u.toString();
  } catch {
    // Not a WHATWG URL, e.g. redis-cluster://:secret@a:7000,b:7000 (several hosts): hide the
    // password of the user information (up to the last @ of the authority) by hand.
    const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/]*)@)?(.*)$/i.exec(url);
    if (!m) return '(invalid URL)';
    const [, scheme, userInfo, rest] = m;
    // REDIS_URL's Sentinel password travels in the query.
    const tail = rest!.replace(/([?&]sentinel_password=)[^&#]*/g, '$1***');
    if (userInfo === undefined) return `${scheme}${tail}`;
    const user = userInfo.includes(':') ? `${userInfo.slice(0, userInfo.indexOf(':'))}:***` : userInfo;
    return `${scheme}${user}@${tail}`;
  }
}
