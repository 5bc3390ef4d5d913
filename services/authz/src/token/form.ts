import express, { type RequestHandler } from 'express';
import { invalidRequest, noStore, rejectNul } from '@mcp-auth/core';

/**
 * The parsed form as one string per parameter. RFC 6749 §3.2: parameters must not repeat (a
 * repeated one is refused, not resolved by guessing), and one sent empty counts as omitted.
 */
export function formParams(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) throw invalidRequest('missing request body');
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw invalidRequest(`parameter ${name} must not be repeated`);
    if (value !== '') entries.push([name, value]);
  }
  return Object.fromEntries(entries);
}

/** Set first, so that error answers carry it too (RFC 6749 §5.1, RFC 7009 §2, RFC 7662 §2.2). */
const noStoreFirst: RequestHandler = (_req, res, next) => {
  noStore(res);
  next();
};

/** The token, revocation and introspection endpoints take form-encoded bodies only. */
const requireForm: RequestHandler = (req, _res, next) => {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw invalidRequest('the body must be application/x-www-form-urlencoded');
  }
  next();
};

/**
 * What runs before the handler of every form endpoint a client posts credentials to: no caching,
 * form bodies only, parsed on this route alone (a global parser would reach the other apps).
 */
export const formEndpoint = (): RequestHandler[] => [
  noStoreFirst,
  requireForm,
  express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 }),
  rejectNul,
];
