import type { Express } from 'express';
import { healthRoutes, strictApp, type ReadinessCheck } from './http.ts';
import { httpMetrics, metricsRoutes } from './metrics.ts';

/**
 * The outer app every standalone service listens with: operational routes (/healthz, /readyz,
 * /metrics) on the service's own port, then the service's createApp() mounted by the caller.
 * The gateway routes only public paths, so these stay internal.
 */
export function serviceApp(checks: Record<string, ReadinessCheck>): Express {
  const app = strictApp();
  // Behind the gateway, which is the one proxy in front of every service and replaces the
  // client's X-Forwarded-For with the address it saw: trust that one hop and nothing before it,
  // so a client cannot choose its own address (login throttle) by sending the header. Apps mounted
  // on this one inherit the setting; the all-in-one mode, with no gateway, does not use this app.
  app.set('trust proxy', 1);
  app.use(httpMetrics());
  app.use(metricsRoutes());
  app.use(healthRoutes(checks));
  return app;
}
