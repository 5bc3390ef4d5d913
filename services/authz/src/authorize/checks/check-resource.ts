import { invalidTarget, sameResource } from '@mcp-auth/core';
import type { RawParams } from '../params.ts';

/**
 * RFC 8707: the resource the token will be for. Optional (default: our one MCP resource); when
 * given it must be an absolute URI without a fragment naming that resource. It is the only
 * resource we serve, so more than one `resource` (which RFC 8707 allows in general) is refused.
 */
export function checkResource(params: RawParams, resource: string): string {
  const value = params.resource;
  if (value === undefined || value === '') return resource;
  if (typeof value !== 'string') throw invalidTarget('only one resource may be requested');
  if (!URL.canParse(value)) throw invalidTarget('resource must be an absolute URI');
  if (value.includes('#')) throw invalidTarget('resource must not contain a fragment');
  if (!sameResource(value, resource))
    throw invalidTarget(`unknown resource; this server issues tokens for ${resource}`);
  return resource;
}
