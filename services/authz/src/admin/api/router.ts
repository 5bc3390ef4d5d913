import express, { type ErrorRequestHandler, type Router } from 'express';
import { OAuthError, oauthErrorHandler, parseInput, rejectNul, strictRouter } from '@mcp-auth/core';
import { z } from 'zod';
import { auditQuerySchema, queryAudit } from '../audit-query.ts';
import { wasAudited } from '../audited.ts';
import { deleteClient, listClients, showClient } from '../clients.ts';
import type { AdminActor, AdminDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { listGrantsOf, revokeGrants } from '../grants.ts';
import {
  addUser,
  deleteUser,
  disableUser,
  enableUser,
  listUsers,
  resetPassword,
  signOutUser,
} from '../users.ts';
import { requireOperatorToken } from './operator-token.ts';

const ADMIN_API_PATH = '/admin/v1';

const newUser = z.object({ username: z.string(), password: z.string().max(1024) }).strict();
const newPassword = z.object({ password: z.string().max(1024) }).strict();
const grantSelector = z
  .object({
    user: z.string().min(1).max(256).optional(),
    client: z.string().min(1).max(2048).optional(),
    resource: z.string().min(1).max(2048).optional(),
  })
  .strict();

/**
 * The admin API: the admin CLI's operations over HTTP, through the same service layer (admin/),
 * so both validate, act and audit alike. Mounted only when ADMIN_API_TOKEN is set; the gateway
 * routes it only with GATEWAY_ADMIN_API=true. JSON in and out; errors in the OAuth shape
 * (`{ error, error_description }`) with 400, 401, 404, 409 or 503.
 */
/**
 * A call refused before it reached the service layer (malformed JSON, a field that fails
 * validation, an unknown path) is audited here, so that every call leaves a record.
 */
function auditRefusal(deps: AdminDeps): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    if (!wasAudited(err)) {
      deps.audit.record({
        type: 'admin.action',
        outcome: 'failure',
        actor: 'admin:api',
        address: req.ip,
        detail: {
          operation: 'request',
          method: req.method,
          path: req.path,
          error: err instanceof OAuthError ? err.error : 'invalid_request',
        },
      });
    }
    next(err);
  };
}

export function adminApiRouter(deps: AdminDeps, token: string): Router {
  const router = strictRouter();
  const api = strictRouter();
  const who = (req: express.Request): AdminActor => ({ actor: 'admin:api', address: req.ip });
  const body = (req: express.Request) => (req.body ?? {}) as unknown;

  api.get('/users', async (req, res) => {
    res.json({ users: await listUsers(deps, who(req)) });
  });
  api.post('/users', async (req, res) => {
    const input = parseInput(newUser, body(req));
    res.status(201).json({ user: await addUser(deps, who(req), input.username, input.password) });
  });
  api.post('/users/:username/disable', async (req, res) => {
    res.json(await disableUser(deps, who(req), req.params.username!));
  });
  api.post('/users/:username/enable', async (req, res) => {
    res.json({ user: await enableUser(deps, who(req), req.params.username!) });
  });
  api.post('/users/:username/password', async (req, res) => {
    const input = parseInput(newPassword, body(req));
    res.json(await resetPassword(deps, who(req), req.params.username!, input.password));
  });
  api.post('/users/:username/sign-out', async (req, res) => {
    res.json(await signOutUser(deps, who(req), req.params.username!));
  });
  api.delete('/users/:username', async (req, res) => {
    res.json(await deleteUser(deps, who(req), req.params.username!));
  });

  api.get('/clients', async (req, res) => {
    res.json({ clients: await listClients(deps, who(req)) });
  });
  // CIMD client ids are URLs: percent-encoded in the path, decoded by the router.
  api.get('/clients/:clientId', async (req, res) => {
    res.json({ client: await showClient(deps, who(req), req.params.clientId!) });
  });
  api.delete('/clients/:clientId', async (req, res) => {
    res.json(await deleteClient(deps, who(req), req.params.clientId!));
  });

  api.get('/grants', async (req, res) => {
    const q = parseInput(grantSelector, req.query);
    const selector = { username: q.user, clientId: q.client, resource: q.resource };
    res.json({ grants: await listGrantsOf(deps, who(req), selector) });
  });
  api.post('/grants/revoke', async (req, res) => {
    const q = parseInput(grantSelector, body(req));
    res.json(
      await revokeGrants(deps, who(req), { username: q.user, clientId: q.client, resource: q.resource }),
    );
  });

  api.get('/audit', async (req, res) => {
    const query = parseInput(auditQuerySchema, req.query);
    res.json({ events: await queryAudit(deps, who(req), query) });
  });

  api.use(() => {
    throw notFound('no such admin operation');
  });

  router.use(
    ADMIN_API_PATH,
    requireOperatorToken(deps, token),
    express.json({ limit: '16kb', strict: true }),
    rejectNul,
    api,
    auditRefusal(deps),
    oauthErrorHandler(deps.logger),
  );
  return router;
}
