import type { Express } from 'express';
import {
  createAuditLog,
  keySet,
  strictApp,
  type AuditLog,
  type ClientChangeFeed,
  type Logger,
  type PrismaClient,
  type RevocationStore,
  type SigningKey,
  type VerificationKey,
} from '@mcp-auth/core';
import { createApp as createAuthzApp } from '@mcp-auth/authz';
import type { AuthzConfig } from '@mcp-auth/authz/config';
import { createApp as createMcpApp } from '@mcp-auth/mcp';
import { embeddedMcpConfig } from '@mcp-auth/mcp/config';
import { createApp as createRegistrationApp } from '@mcp-auth/registration';

/**
 * The three services on one express app (their paths do not overlap, and each falls through on
 * paths it does not own). The all-in-one mode listens with it; tests that need the whole surface
 * on one port build it the same way.
 */
export function createAllInOneApp(deps: {
  authzConfig: AuthzConfig;
  prisma: PrismaClient;
  signingKey: SigningKey;
  /** Public keys of retired signing keys (JWT_PREVIOUS_PUBLIC_KEYS_PATH), valid until their tokens expire. */
  previousKeys?: readonly VerificationKey[];
  revocation: RevocationStore;
  logger: Logger;
  /** REGISTRATION_INITIAL_ACCESS_TOKEN: registering a client_credentials client needs it. */
  registrationInitialAccessToken?: string;
  /** Client changes announced by Postgres: lets the authorization server cache client records. */
  clientChanges?: ClientChangeFeed;
  /** Where the MCP settings (MCP_POLICY_PATH, MCP_UPSTREAM_URL…) are read; default process.env. */
  mcpEnv?: NodeJS.ProcessEnv;
  /** One audit writer for both apps; the caller flushes it before closing the database. */
  audit?: AuditLog;
}): Express {
  const { authzConfig, prisma, signingKey, revocation, logger, registrationInitialAccessToken } = deps;
  const previousKeys = deps.previousKeys ?? [];
  const audit = deps.audit ?? createAuditLog({ prisma, logger });
  const app = strictApp();
  app.use(
    createRegistrationApp({
      config: {
        issuer: authzConfig.issuer,
        accessTokenTtl: authzConfig.accessTokenTtl,
        initialAccessToken: registrationInitialAccessToken,
        policy: authzConfig.policy,
      },
      prisma,
      revocation,
      logger: logger.child({ app: 'registration' }),
      audit,
    }),
  );
  app.use(
    createAuthzApp({
      config: authzConfig,
      prisma,
      signingKey,
      previousKeys,
      revocation,
      logger: logger.child({ app: 'authz' }),
      audit,
      clientChanges: deps.clientChanges,
    }),
  );
  app.use(
    createMcpApp({
      // One policy with authz; MCP_ALLOWED_ORIGINS, MCP_UPSTREAM_TIMEOUT… as the service reads them.
      config: embeddedMcpConfig(authzConfig.issuer, authzConfig.policy, deps.mcpEnv),
      // The same process signs and verifies: the public half of the one signing key.
      keys: keySet([signingKey, ...previousKeys]),
      logger: logger.child({ app: 'mcp' }),
      revocation,
    }),
  );
  return app;
}
