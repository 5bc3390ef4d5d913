import type { Logger, PrismaClient, RevocationStore, SigningKey } from '@mcp-auth/core';
import type { AuthzConfig } from './config.ts';

/** Everything the authorization server needs; main.ts wires real ones, tests their own. */
export interface AuthzDeps {
  config: AuthzConfig;
  prisma: PrismaClient;
  signingKey: SigningKey;
  logger: Logger;
  /** Where revocations go: Postgres then Redis (standalone), or Postgres alone (embedded). */
  revocation: RevocationStore;
}
