import type { RequestHandler } from 'express';
import {
  createAccessTokenVerifier,
  InvalidTokenError,
  temporarilyUnavailable,
  type AccessTokenClaims,
  type KeySet,
  type Logger,
  type RevocationChecker,
} from '@mcp-auth/core';
import type { McpConfig } from '../config.ts';
import { parseBearerHeader } from './bearer-header.ts';
import { callerFromClaims, toAuthInfo, type AuthenticatedRequest } from './caller.ts';
import { bearerErrors } from './challenge.ts';

export interface BearerDeps {
  config: McpConfig;
  keys: KeySet;
  logger: Logger;
  revocation?: RevocationChecker | undefined;
}

/**
 * Admits a request only with a valid access token for this resource, in the Authorization header
 * (OAuth 2.1 §5.2: never in the query string). Validation is local (signature with the shared
 * public keys), then the revocation set is asked; when it cannot answer we refuse (fail closed).
 */
export function requireBearer(deps: BearerDeps): RequestHandler {
  const errors = bearerErrors(deps.config.resourceMetadataUrl);
  const verifyToken = createAccessTokenVerifier(deps.keys, {
    issuer: deps.config.issuer,
    audience: deps.config.resource,
  });

  const verify = (token: string): AccessTokenClaims => {
    try {
      return verifyToken(token);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw errors.invalidToken(err.message);
      // Whatever a client sends is at worst an invalid token, never a 500.
      deps.logger.warn({ err }, 'unexpected error while verifying an access token');
      throw errors.invalidToken('invalid token');
    }
  };

  const checkRevocation = async (claims: AccessTokenClaims): Promise<void> => {
    if (!deps.revocation) return;
    let revoked: boolean;
    try {
      revoked = await deps.revocation.isRevoked(claims);
    } catch (err) {
      deps.logger.warn({ err }, 'revocation set unavailable; refusing the request');
      throw temporarilyUnavailable('cannot check token revocation; retry shortly');
    }
    if (revoked) throw errors.invalidToken('token revoked');
  };

  return async (req, _res, next) => {
    if (typeof req.query.access_token !== 'undefined') {
      throw errors.malformedRequest('send the access token in the Authorization header, not the query');
    }
    const header = parseBearerHeader(req.headers.authorization);
    if (header.kind === 'missing') throw errors.missingToken(header.reason);
    if (header.kind === 'other-scheme') throw errors.missingToken(header.reason, 'invalid_request');
    if (header.kind === 'malformed') throw errors.malformedRequest(header.reason);
    const claims = verify(header.token);
    await checkRevocation(claims);
    (req as AuthenticatedRequest).auth = toAuthInfo(
      callerFromClaims(claims),
      header.token,
      deps.config.resource,
    );
    next();
  };
}
