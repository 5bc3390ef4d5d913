import { BASE_SCOPE, OAuthError, formatScope } from '@mcp-auth/core';

export interface ChallengeParams {
  error?: string;
  description?: string;
  scope?: string;
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
     * naming the base scope so a client can ask for it in its first authorization.
     */
    missingToken: (description: string, error = 'invalid_token') =>
      new OAuthError(error, description, 401, challenge({ scope: BASE_SCOPE })),
    malformedRequest: (description: string) =>
      new OAuthError(
        'invalid_request',
        description,
        400,
        challenge({ error: 'invalid_request', description }),
      ),
    invalidToken: (description: string) =>
      new OAuthError('invalid_token', description, 401, challenge({ error: 'invalid_token', description })),
    /** `scopes` is everything the request needs, so one step-up authorization is enough. */
    insufficientScope: (scopes: readonly string[], description: string) =>
      new OAuthError(
        'insufficient_scope',
        description,
        403,
        challenge({ error: 'insufficient_scope', description, scope: formatScope(scopes) }),
      ),
  };
}

export type BearerErrors = ReturnType<typeof bearerErrors>;
