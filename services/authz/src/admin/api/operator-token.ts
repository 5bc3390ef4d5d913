import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { OAuthError } from '@mcp-auth/core';
import { markAudited } from '../audited.ts';
import type { AdminDeps } from '../deps.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * The admin API's one credential: ADMIN_API_TOKEN, sent as `Authorization: Bearer <token>`. Both
 * sides are hashed to 32 bytes and compared with timingSafeEqual, so neither the content nor the
 * length of the token leaks through the answer time. A refusal is 401 with an RFC 6750 challenge,
 * and is itself an audit event (someone is trying the operator's door).
 */
export function requireOperatorToken(deps: Pick<AdminDeps, 'audit'>, token: string): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.get('authorization') ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expected)) return next();
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
