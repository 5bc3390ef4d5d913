import express from 'express';
import { createAuditLog, oauthErrorHandler, publicCors, rejectNul, strictApp } from '@mcp-auth/core';
import type { RegistrationDeps } from './deps.ts';
import { deleteRegistration } from './endpoints/delete.ts';
import { readRegistration } from './endpoints/read.ts';
import { register } from './endpoints/register.ts';
import { registrationRateLimit } from './rate-limit.ts';
import { updateRegistration } from './endpoints/update.ts';
import { requireJson } from './require-json.ts';

export type { RegistrationDeps } from './deps.ts';
export type { RegistrationConfig } from './config.ts';

/** Client metadata is small; a larger body is refused before it is parsed (413). */
const JSON_LIMIT = '32kb';

/**
 * Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592). Mounted on its
 * own or beside the other apps (embedded mode), so it parses bodies only on its own routes and
 * lets every other path fall through.
 */
export function createApp(registrationDeps: RegistrationDeps): express.Express {
  const deps = {
    ...registrationDeps,
    audit:
      registrationDeps.audit ??
      createAuditLog({ prisma: registrationDeps.prisma, logger: registrationDeps.logger }),
  };
  const app = strictApp();
  const json = [requireJson, express.json({ limit: JSON_LIMIT }), rejectNul];

  // Browser-based MCP clients register from their own origin.
  app.use('/oauth/register', publicCors(['POST', 'GET', 'PUT', 'DELETE'], ['WWW-Authenticate']));
  app.post('/oauth/register', registrationRateLimit(deps), ...json, register(deps));
  app.get('/oauth/register/:client_id', readRegistration(deps));
  app.put('/oauth/register/:client_id', ...json, updateRegistration(deps));
  app.delete('/oauth/register/:client_id', deleteRegistration(deps));

  app.use(oauthErrorHandler(deps.logger));
  return app;
}
