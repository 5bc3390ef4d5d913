import { invalidRequest } from '@mcp-auth/core';

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
