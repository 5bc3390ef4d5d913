import { invalidRequest, parseInput } from '@mcp-auth/core';
import { z } from 'zod';

/** Authorization request parameters as parsed from a query string or form body. */
export type RawParams = Readonly<Record<string, string | readonly string[]>>;

const rawParamsSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** A body that is absent (no form content type) is an empty set of parameters, not an error. */
export const readParams = (input: unknown): RawParams => parseInput(rawParamsSchema, input ?? {});

/**
 * One parameter's value. RFC 6749 §3.1: parameters must not be repeated, and one sent without a
 * value is treated as omitted.
 */
export function single(params: RawParams, name: string): string | undefined {
  const value = params[name];
  if (typeof value !== 'string') {
    if (value === undefined) return undefined;
    throw invalidRequest(`${name} must not be repeated`);
  }
  return value === '' ? undefined : value;
}
