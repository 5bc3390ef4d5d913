import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from './auth-info.ts';
import { parseBearerHeader } from './bearer-header.ts';
import {
  bearerErrors,
  BearerError,
  InvalidTokenError,
  sendBearerError,
  VerifierUnavailableError,
  type BearerErrors,
} from './challenge.ts';
import type { TokenVerifier } from './verifier.ts';

/** A request after requireBearerAuth: the SDK's transport reads `auth`. */
export type AuthenticatedRequest = IncomingMessage & { auth?: AuthInfo };
export type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** Where problems go: a pino logger fits. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  /** Scopes every request needs; named in the 401 challenge so the first authorization asks for them. */
  requiredScopes?: readonly string[];
  /** This resource's RFC 9728 metadata URL, named in every challenge. */
  resourceMetadataUrl: string;
  logger?: WarnLogger;
}

// Most requests have no query at all: only those with one pay for parsing it.
const hasQueryToken = (url: string | undefined) => {
  const query = url?.indexOf('?') ?? -1;
  return query !== -1 && new URLSearchParams(url!.slice(query + 1)).has('access_token');
};

/**
 * Admits a request only with a valid access token for this resource in the Authorization header
 * (OAuth 2.1 §5.2: never in the query string), then puts the caller on `req.auth`. Answers 401
 * with a challenge, 403 `insufficient_scope`, or 503 when a dependency cannot answer (fail closed).
 * Shaped like the MCP SDK's `requireBearerAuth`, and framework-free (express, connect, node:http).
 */
export function requireBearerAuth(options: BearerAuthOptions): Middleware {
  const errors = bearerErrors(options.resourceMetadataUrl);
  const required = options.requiredScopes ?? [];

  const authenticate = async (req: IncomingMessage): Promise<AuthInfo> => {
    if (hasQueryToken(req.url)) {
      throw errors.malformedRequest('send the access token in the Authorization header, not the query');
    }
    const header = parseBearerHeader(req.headers.authorization);
    if (header.kind === 'missing') throw errors.missingToken(header.reason, required);
    if (header.kind === 'other-scheme') throw errors.missingToken(header.reason, required, 'invalid_request');
    if (header.kind === 'malformed') throw errors.malformedRequest(header.reason);
    const auth = await verify(options, errors, header.token);
    const missing = required.filter((s) => !auth.scopes.includes(s));
    if (missing.length > 0) {
      throw errors.insufficientScope(
        [...new Set([...auth.scopes, ...required])],
        `this resource needs the scope ${missing.join(' ')}`,
      );
    }
    return auth;
  };

  return (req, res, next) => {
    authenticate(req).then(
      (auth) => {
        (req as AuthenticatedRequest).auth = auth;
        next();
      },
      (err: unknown) => {
        if (err instanceof BearerError) return sendBearerError(res, err);
        next(err);
      },
    );
  };
}

async function verify(options: BearerAuthOptions, errors: BearerErrors, token: string): Promise<AuthInfo> {
  try {
    return await options.verifier.verifyAccessToken(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw errors.invalidToken(err.message);
    if (err instanceof VerifierUnavailableError) {
      options.logger?.warn({ err }, 'cannot verify access tokens; refusing the request');
      throw errors.unavailable('cannot verify the access token now; retry shortly');
    }
    // Whatever a client sends is at worst an invalid token, never a 500.
    options.logger?.warn({ err }, 'unexpected error while verifying an access token');
    throw errors.invalidToken('invalid token');
  }
}
