import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import { startHttpTimer } from './metrics.ts';

/** Answers a request on its own, errors included; `address` is the client's, as `req.ip` would be. */
export type DirectHandler = (req: IncomingMessage, res: ServerResponse, address: string) => Promise<void>;

type TrustFn = (address: string, hop: number) => boolean;

const routesOf = new WeakMap<Express, Map<string, DirectHandler>>();

/**
 * `POST path`, answered by `handler`, which needs nothing from express. Two ways in, one handler:
 * - through express, as any route, so the app still works mounted in another one or in a test;
 * - ahead of express, for a server that listens with `requestListener` on this app, or on any app
 *   this one is mounted on at its root.
 * The second way exists for the token and introspection endpoints: express's dispatch (the
 * request/response prototypes, a pass over every router) costs about 70 µs per request, a sixth
 * of a signed token (README "Performance"). Only for paths that no middleware mounted before
 * them needs to see.
 */
export function addDirectRoute(app: Express, path: string, handler: DirectHandler): void {
  app.post(path, (req, res, next) => void handler(req, res, req.ip ?? '').catch(next));
  register(app, path, handler);
}

function register(app: Express, path: string, handler: DirectHandler): void {
  let routes = routesOf.get(app);
  if (!routes) {
    const own = new Map<string, DirectHandler>();
    routes = own;
    routesOf.set(app, own);
    app.on('mount', (parent) => {
      if (app.mountpath === '/') for (const [p, h] of own) register(parent as Express, p, h);
    });
  }
  routes.set(path, handler);
  const { parent } = app as Express & { parent?: Express };
  if (parent && app.mountpath === '/') register(parent, path, handler);
}

const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/**
 * What a server listens with: the app's direct routes, then express for everything else. The
 * client address follows the app's `trust proxy` setting, as `req.ip` does, and the request is
 * counted in the HTTP metrics as express's routes are.
 */
export function requestListener(app: Express): RequestListener {
  const routes = routesOf.get(app);
  if (!routes) return app;
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.method === 'POST' ? pathOf(req.url ?? '') : '';
    const handler = routes.get(path);
    if (!handler) return void app(req, res);
    const done = startHttpTimer();
    res.on('finish', () => done('POST', path, res.statusCode));
    // A handler answers its own errors; this is for a bug in one (or in reading the address): the
    // request must not stay unanswered, and a request listener that throws would stop the process.
    Promise.resolve()
      .then(() => handler(req, res, proxyaddr(req, app.get('trust proxy fn') as TrustFn)))
      .catch(() => res.destroy());
  };
}
