import type { ErrorRequestHandler } from 'express';
import { toOAuthError } from '@mcp-auth/core';
import type { AuthzDeps } from '../deps.ts';
import { errorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/send-page.ts';
import { siteOf } from './flow.ts';

/**
 * A person, not a program, reads what these routes answer, so errors that cannot go back to the
 * client's redirect URI become a page naming the OAuth error code. Our own faults are logged and
 * shown without detail.
 */
export function pageErrorHandler(deps: AuthzDeps): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = toOAuthError(err, deps.logger, req);
    sendPage(
      res.set(e.headers),
      e.status,
      errorPage({ site: siteOf(deps.config.issuer), error: e.error, description: e.description }),
    );
  };
}
