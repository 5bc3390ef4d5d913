import type { IncomingMessage } from 'node:http';
import {
  invalidRequest,
  noStore,
  readForm,
  sendJson,
  sendOAuthError,
  toOAuthError,
  type DirectHandler,
  type Logger,
} from '@mcp-auth/core';

/** What a form endpoint's logic gets from the request. */
export interface FormRequest {
  /** One string per parameter (readForm: no repeats, empty ones omitted). */
  params: Readonly<Record<string, string>>;
  authorization: string | undefined;
  /** The client's address, as express's `req.ip` (trust proxy applies). */
  address: string;
}

const LIMITS = { limit: 16 * 1024, parameterLimit: 100 };

/** The query is no place for these endpoints' parameters, but NUL in it is refused as anywhere. */
function queryHasNul(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  if (query === -1) return false;
  for (const [name, value] of new URLSearchParams(url.slice(query))) {
    if (name.includes('\u0000') || value.includes('\u0000')) return true;
  }
  return false;
}

/**
 * An endpoint a client posts form-encoded credentials to: token, introspection, revocation. Never
 * cached (RFC 6749 §5.1, RFC 7009 §2, RFC 7662 §2.2), errors included; `handle` returns the JSON
 * answer, or undefined for an empty 200. Errors are RFC 6749 §5.2 JSON. `cors`: browser-based
 * clients call it from their own origin (the preflight is express's, see publicCors).
 */
export function formEndpoint(
  logger: Logger,
  handle: (request: FormRequest) => Promise<object | undefined>,
  options: { cors?: boolean } = {},
): DirectHandler {
  return async (req, res, address) => {
    noStore(res);
    if (options.cors) res.setHeader('Access-Control-Allow-Origin', '*');
    try {
      if (queryHasNul(req)) throw invalidRequest('the request contains a NUL character');
      const params = await readForm(req, LIMITS);
      const answer = await handle({ params, authorization: req.headers.authorization, address });
      if (answer === undefined) res.end();
      else sendJson(res, answer);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendOAuthError(res, toOAuthError(err, logger, req));
    }
  };
}
