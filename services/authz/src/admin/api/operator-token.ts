import type { RequestHandler } from 'express';
import { OAuthError, safeEqual } from '@mcp-auth/core';
import { markAudited } from '../audited.ts';
import type { AdminDeps } from '../deps.ts';

/**
 * The admin API's one credential: ADMIN_API_TOKEN, sent as `Authorization: Bearer <token>`. Both
 * sides are compared by core's safeEqual (SHA-256 of each, then timingSafeEqual), so neither the content nor the
 * length of the token leaks through the answer time. A refusal is 401 with an RFC 6750 challenge,
 * and is itself an audit event (someone is trying the operator's door).
 */
export function requireOperatorToken(deps: Pick<AdminDeps, 'audit'>, token: string): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.get('authorization') ?? '');
    if (match && safeEqual(match[1]!, token)) return next();
    deps.audit.record({
      type: 'admin.action',
      outcome: 'failure',
      actor: 'admin:api',
      address: req.ip,
      detail: { operation: 'authenticate', method: req.method, path: req.path, presented: !!match },
    });
    const error = match ? 'invalid_token' : undefined;
    const challenge = `Bearer realm="mcp-auth admin"${error ? `, error="${error}"` : ''}`;
    next(
      markAudited(
        new OAuthError(
          error ?? 'invalid_request',
          match ? 'the operator token is not valid' : 'an operator token is required',
          401,
          { 'WWW-Authenticate': challenge },
        ),
      ),
    );
  };
}
