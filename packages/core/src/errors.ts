/**
 * One error type for every OAuth endpoint. `error` is the RFC's code (RFC 6749 §5.2,
 * RFC 7591 §3.2.2, RFC 6750 §3.1); the HTTP layer renders it in one place (http.ts).
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (d: string) => new OAuthError('invalid_request', d);
export const invalidGrant = (d: string) => new OAuthError('invalid_grant', d);
export const invalidScope = (d: string) => new OAuthError('invalid_scope', d);
export const invalidTarget = (d: string) => new OAuthError('invalid_target', d);
export const unauthorizedClient = (d: string) => new OAuthError('unauthorized_client', d);
export const unsupportedGrantType = (d: string) => new OAuthError('unsupported_grant_type', d);
export const invalidClientMetadata = (d: string) => new OAuthError('invalid_client_metadata', d);
export const invalidRedirectUri = (d: string) => new OAuthError('invalid_redirect_uri', d);
export const temporarilyUnavailable = (d: string, retryAfterSeconds = 1) =>
  new OAuthError('temporarily_unavailable', d, 503, { 'Retry-After': String(retryAfterSeconds) });

/** RFC 6749 §5.2: 401, with a Basic challenge when the client tried Basic authentication. */
export const invalidClient = (d: string, usedBasic = false) =>
  new OAuthError('invalid_client', d, 401, usedBasic ? { 'WWW-Authenticate': 'Basic realm="mcp-auth"' } : {});
