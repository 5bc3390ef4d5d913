import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import { parseScope, type AccessTokenClaims } from '@mcp-auth/core';

/** Who is calling, from a verified access token. */
export interface CallerIdentity {
  subject: string;
  clientId: string;
  scopes: string[];
  jti: string;
  /** The grant family (revoking it revokes every token of the grant). */
  sid: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/**
 * The SDK's transport reads `req.auth` and hands it to tool handlers as `extra.authInfo`, so the
 * identity travels in the SDK's own type; `extra` carries what AuthInfo has no field for.
 */
export type AuthenticatedRequest = Request & { auth?: AuthInfo };

export const callerFromClaims = (claims: AccessTokenClaims): CallerIdentity => ({
  subject: claims.sub,
  clientId: claims.client_id,
  scopes: parseScope(claims.scope),
  jti: claims.jti,
  sid: claims.sid,
  expiresAt: claims.exp,
});

export function toAuthInfo(caller: CallerIdentity, token: string, resource: string): AuthInfo {
  return {
    token,
    clientId: caller.clientId,
    scopes: caller.scopes,
    expiresAt: caller.expiresAt,
    resource: new URL(resource),
    extra: { subject: caller.subject, jti: caller.jti, sid: caller.sid },
  };
}

/** Throws when the request did not pass the bearer middleware: a wiring fault, never client input. */
export function callerFromAuthInfo(auth: AuthInfo | undefined): CallerIdentity {
  const extra = auth?.extra ?? {};
  const { subject, jti, sid } = extra;
  if (!auth || typeof subject !== 'string' || typeof jti !== 'string' || typeof sid !== 'string') {
    throw new Error('request has no authenticated caller');
  }
  return {
    subject,
    clientId: auth.clientId,
    scopes: auth.scopes,
    jti,
    sid,
    expiresAt: auth.expiresAt ?? 0,
  };
}

export const callerOf = (req: Request): CallerIdentity =>
  callerFromAuthInfo((req as AuthenticatedRequest).auth);
