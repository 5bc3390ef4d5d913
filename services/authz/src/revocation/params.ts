import { z } from 'zod';
import { parseInput } from '@mcp-auth/core';

/**
 * The parameters of RFC 7009 §2.1 and RFC 7662 §2.1, which are the same. The hint is optional
 * and, when unknown, ignored: both RFCs let the server search every token type, and we tell the
 * types apart by their shape anyway. The length bound keeps hashing and JWT parsing cheap.
 */
export const tokenParamsSchema = z.object({
  token: z.string({ error: 'is required' }).min(1, 'is required').max(8192, 'is too long'),
  token_type_hint: z.string().optional(),
});

export const tokenParams = (params: Readonly<Record<string, string>>) =>
  parseInput(tokenParamsSchema, params);
