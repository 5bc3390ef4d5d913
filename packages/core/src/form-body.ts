import type { IncomingMessage } from 'node:http';
import contentType from 'content-type';
import getRawBody from 'raw-body';
import { invalidRequest, OAuthError } from './errors.ts';

export interface FormLimits {
  /** Bytes; a longer body is 413. */
  limit: number;
  /** Parameters; more is 413. */
  parameterLimit: number;
}

const FORM = 'application/x-www-form-urlencoded';

/** type-is's rule: a request has a body when it announces one, even an empty one. */
const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;

const unsupportedEncoding = () => new OAuthError('invalid_request', 'unsupported body encoding', 415);

/**
 * The body of a form endpoint a client posts credentials to (token, introspection, revocation) as
 * one string per parameter. RFC 6749 §3.2: parameters must not repeat (a repeated one is refused,
 * not resolved by guessing), and one sent empty counts as omitted. Appendix B: the form is UTF-8,
 * so another charset, or a compressed body, is 415; NUL is never meaningful and PostgreSQL cannot
 * store it, so it is refused here.
 *
 * Not express.urlencoded: on the token endpoint body-parser and express's dispatch cost about
 * 100 µs per request, a quarter of a signed token (README "Performance"). The byte-level work
 * (limit, declared length, aborted uploads) stays with raw-body, as in body-parser.
 */
export async function readForm(req: IncomingMessage, limits: FormLimits): Promise<Record<string, string>> {
  const header = req.headers['content-type'];
  let type: contentType.ParsedMediaType | undefined;
  try {
    if (header !== undefined && hasBody(req)) type = contentType.parse(header);
  } catch {
    // A malformed Content-Type is not a form.
  }
  if (type?.type !== FORM) throw invalidRequest(`the body must be ${FORM}`);
  const charset = type.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8') throw unsupportedEncoding();
  const encoding = req.headers['content-encoding']?.toLowerCase();
  if (encoding !== undefined && encoding !== 'identity') throw unsupportedEncoding();

  const raw = await getRawBody(req, {
    length: req.headers['content-length'],
    limit: limits.limit,
    encoding: 'utf-8',
  });
  const params: Record<string, string> = {};
  if (raw === '') return params;
  const seen = new Set<string>();
  let count = 0;
  // URLSearchParams drops a leading "?", which a form does not have: keep it part of the first name.
  for (const [name, value] of new URLSearchParams(raw.startsWith('?') ? `&${raw}` : raw)) {
    if (++count > limits.parameterLimit) {
      throw new OAuthError('invalid_request', 'too many parameters', 413);
    }
    if (seen.has(name)) throw invalidRequest(`parameter ${name} must not be repeated`);
    seen.add(name);
    if (name.includes('\u0000') || value.includes('\u0000')) {
      throw invalidRequest('the request contains a NUL character');
    }
    if (value !== '') params[name] = value;
  }
  return params;
}
