import express, { type Express } from 'express';
import { healthRoutes, type ReadinessCheck } from './http.ts';
import { httpMetrics, metricsRoutes } from './metrics.ts';

/**
 * The outer app every standalone service listens with: operational routes (/healthz, /readyz,
 * /metrics) on the service's own port, then the service's createApp() mounted by the caller.
 * The gateway routes only public paths, so these stay internal.
 */
export function serviceApp(checks: Record<string, ReadinessCheck>): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind the gateway: take the client's address and scheme from X-Forwarded-* only when the
  // direct peer is on a loopback or private network (the gateway), never from the internet.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(httpMetrics());
  app.use(metricsRoutes());
  app.use(healthRoutes(checks));
  return app;
}
