/**
 * What a verified token says, in the MCP SDK's own `AuthInfo` shape: the middleware puts it on
 * `req.auth`, and the SDK's Streamable HTTP transport hands it to tool handlers as
 * `extra.authInfo`. Declared here (structurally the same) so the package needs no SDK import.
 */
export interface AuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
}

/** Who is calling, from a verified access token. */
export interface Caller {
  subject: string;
  clientId: string;
  scopes: string[];
  jti: string;
  /** The grant family (revoking it revokes every token of the grant). */
  sid: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export function toAuthInfo(caller: Caller, token: string, resource: string): AuthInfo {
  return {
    token,
    clientId: caller.clientId,
    scopes: caller.scopes,
    expiresAt: caller.expiresAt,
    resource: new URL(resource),
    extra: { subject: caller.subject, jti: caller.jti, sid: caller.sid },
  };
}

/** The caller of a request that passed requireBearerAuth; throws otherwise (a wiring fault, never client input). */
export function callerOf(auth: AuthInfo | undefined): Caller {
  const { subject, jti, sid } = auth?.extra ?? {};
  if (!auth || typeof subject !== 'string' || typeof jti !== 'string' || typeof sid !== 'string') {
    throw new Error('request has no authenticated caller');
  }
  return { subject, clientId: auth.clientId, scopes: auth.scopes, jti, sid, expiresAt: auth.expiresAt ?? 0 };
}

/** RFC 6749 §3.3: space-separated, each scope once. */
export const parseScope = (scope: string | undefined | null): string[] => [
  ...new Set((scope ?? '').split(' ').filter(Boolean)),
];
