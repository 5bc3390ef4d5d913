import { invalidTarget, type Policy, type ServerPolicy } from '@mcp-auth/core';
import { targetServer } from '../../target-server.ts';
import type { RawParams } from '../params.ts';

/**
 * RFC 8707: the protected server the token will be for (see targetServer). One token has one
 * audience, so more than one `resource` (which RFC 8707 allows in general) is refused.
 */
export function checkResource(params: RawParams, policy: Policy): ServerPolicy {
  const value = params.resource;
  if (value !== undefined && typeof value !== 'string') {
    throw invalidTarget('only one resource may be requested');
  }
  return targetServer(policy, value === '' ? undefined : value);
}
