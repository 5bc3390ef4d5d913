import type { AuditLog, Logger, PrismaClient, RevocationStore } from '@mcp-auth/core';
import type { AuthzConfig } from '../config.ts';

/** What the admin operations need; the CLI builds it from the environment, the API from the app's context. */
export interface AdminDeps {
  prisma: PrismaClient;
  revocation: RevocationStore;
  logger: Logger;
  audit: AuditLog;
  config: Pick<AuthzConfig, 'accessTokenTtl'>;
}

/** Who asks, for the audit log: `admin:cli:<os user>` or `admin:api`, and from where. */
export interface AdminActor {
  actor: string;
  address?: string;
}
