import { describe, expect, it } from 'vitest';
import { GRANT_TYPES } from '@mcp-auth/core';
import { SUPPORTED_GRANT_TYPES } from './index.ts';

describe('grant modules', () => {
  it('implement exactly the grant types clients may register', () => {
    expect([...SUPPORTED_GRANT_TYPES].sort()).toEqual([...GRANT_TYPES].sort());
  });
});
