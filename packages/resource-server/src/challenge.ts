import type { ServerResponse } from 'node:http';

export interface ChallengeParams {
  error?: string | undefined;
  description?: string | undefined;
  scope?: string | undefined;
  resourceMetadataUrl: string;
}

/**
 * RFC 6750 §3 allows only printable ASCII without `"` and `\` in these values, so a description
 * built from a library message can never break the header's quoting.
 */
const quotable = (value: string): string => value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');

/** `Bearer error="…", error_description="…", scope="…", resource_metadata="…"` (RFC 6750 §3, RFC 9728 §5.1). */
export function bearerChallenge(p: ChallengeParams): string {
  const params: [string, string | undefined][] = [
    ['error', p.error],
    ['error_description', p.description],
    ['scope', p.scope],
    ['resource_metadata', p.resourceMetadataUrl],
  ];
  const parts = params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${quotable(v ?? '')}"`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * Why a request was refused, as the protected resource answers it: an HTTP status, the RFC 6749
 * §5.2 error body, and the headers a client needs to recover (the challenge, Retry-After).
 */
export class BearerError extends Error {
  override name = 'BearerError';
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status: number,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
  }

  toJSON() {
    return { error: this.error, error_description: this.description };
  }
}

/** Token verifiers throw this for anything wrong with the token; the message is safe to show. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

/** A dependency (JWKS, revocation set, introspection) cannot answer: refuse, never accept (fail closed). */
export class VerifierUnavailableError extends Error {
  override name = 'VerifierUnavailableError';
}

/**
 * The errors a protected resource answers, each with the challenge a client needs to recover:
 * where to find the authorization server (resource_metadata) and, where it applies, which scopes
 * to ask for.
 */
export function bearerErrors(resourceMetadataUrl: string) {
  const challenge = (p: Omit<ChallengeParams, 'resourceMetadataUrl'>) => ({
    'WWW-Authenticate': bearerChallenge({ ...p, resourceMetadataUrl }),
  });
  return {
    /**
     * RFC 6750 §3.1: a request without bearer credentials gets a challenge with no error code,
     * naming the scopes any request needs so a client can ask for them in its first authorization.
     */
    missingToken: (description: string, scopes: readonly string[], error = 'invalid_token') =>
      new BearerError(
        error,
        description,
        401,
        challenge({ scope: scopes.length ? scopes.join(' ') : undefined }),
      ),
    malformedRequest: (description: string) =>
      new BearerError(
        'invalid_request',
        description,
        400,
        challenge({ error: 'invalid_request', description }),
      ),
    invalidToken: (description: string) =>
      new BearerError('invalid_token', description, 401, challenge({ error: 'invalid_token', description })),
    /** `scopes` is everything the request needs, so one step-up authorization is enough. */
    insufficientScope: (scopes: readonly string[], description: string) =>
      new BearerError(
        'insufficient_scope',
        description,
        403,
        challenge({ error: 'insufficient_scope', description, scope: scopes.join(' ') }),
      ),
    /** RFC 6749 §4.1.2.1's temporarily_unavailable, with a hint of when to retry. */
    unavailable: (description: string) =>
      new BearerError('temporarily_unavailable', description, 503, { 'Retry-After': '1' }),
  };
}

export type BearerErrors = ReturnType<typeof bearerErrors>;

/** Writes the error with plain node:http calls, so the middleware works in any framework. */
export function sendBearerError(res: ServerResponse, err: BearerError): void {
  const body = JSON.stringify(err.toJSON());
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
