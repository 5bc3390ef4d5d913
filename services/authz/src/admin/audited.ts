import { OAuthError } from '@mcp-auth/core';
import type { AdminActor, AdminDeps } from './deps.ts';

const AUDITED = Symbol('mcp-auth.audited');

/** Whether an error was already recorded by `audited` (the API records the others itself). */
export const wasAudited = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[AUDITED] === true;

/** Marks an error as recorded, so that no later handler records it again. */
export function markAudited<E>(err: E): E {
  if (typeof err === 'object' && err !== null) (err as Record<symbol, unknown>)[AUDITED] = true;
  return err;
}

export interface AuditTarget {
  userId?: string;
  clientId?: string;
  /** What the operation was asked (never a password). */
  detail?: Record<string, unknown>;
}

/**
 * Runs one admin operation and records it as `admin.action` (detail.operation names it), whether
 * it succeeded or failed: every call of the CLI and the API goes through here, reads included,
 * so the log shows who looked at what after an incident. `summary` turns the result into the
 * facts worth keeping (counts, ids), and `target` may be filled in by the operation itself once it
 * has looked the user or client up.
 */
export async function audited<T>(
  deps: Pick<AdminDeps, 'audit'>,
  who: AdminActor,
  operation: string,
  target: AuditTarget,
  run: (target: AuditTarget) => Promise<T>,
  summary: (result: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  const record = (outcome: 'success' | 'failure', extra: Record<string, unknown>) =>
    deps.audit.record({
      type: 'admin.action',
      outcome,
      actor: who.actor,
      address: who.address,
      userId: target.userId,
      clientId: target.clientId,
      detail: { operation, ...target.detail, ...extra },
    });
  try {
    const result = await run(target);
    record('success', summary(result));
    return result;
  } catch (err) {
    record('failure', {
      error: err instanceof OAuthError ? err.error : 'server_error',
      ...(err instanceof OAuthError && { errorDescription: err.description }),
    });
    throw markAudited(err);
  }
}
