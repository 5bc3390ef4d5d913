import type { RequestHandler, Router } from 'express';
import { strictRouter } from './http.ts';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics. One registry per process; each service's main.ts serves it at /metrics on
 * the service's own port, which the gateway does not route (metrics are for the operator's
 * scraper, not the public).
 */
export const registry = new Registry();
let defaultsCollected = false;

const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const tokensIssued = new Counter({
  name: 'oauth_tokens_issued_total',
  help: 'Tokens issued by the token endpoint, by grant type and token type',
  labelNames: ['grant_type', 'token_type'] as const,
  registers: [registry],
});
export const revocations = new Counter({
  name: 'oauth_revocations_total',
  help: 'Revocations recorded, by kind (jti: one access token, sid: a whole grant)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const refreshReuseDetected = new Counter({
  name: 'oauth_refresh_token_reuse_detected_total',
  help: 'Rotated refresh tokens presented again (the grant was revoked)',
  registers: [registry],
});

/**
 * Counts and times every request. The route label is the matched route pattern (never the raw
 * path, which would let clients create unbounded label values).
 */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const done = startHttpTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      done(req.method, route, res.statusCode);
    });
    next();
  };
}

/** Starts timing a request; the function returned counts it once it is answered. */
export function startHttpTimer(): (method: string, route: string, status: number) => void {
  const end = httpDuration.startTimer();
  return (method, route, status) => {
    const labels = { method, route, status: String(status) };
    httpRequests.inc(labels);
    end(labels);
  };
}

/** GET /metrics, plus the default process metrics (memory, event loop lag, GC). */
export function metricsRoutes(): Router {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: registry });
    defaultsCollected = true;
  }
  const router = strictRouter();
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  return router;
}
