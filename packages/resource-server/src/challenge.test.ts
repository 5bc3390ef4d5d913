import { describe, expect, it } from 'vitest';
import { bearerChallenge, bearerErrors } from './challenge.ts';

const prm = 'http://localhost:8080/.well-known/oauth-protected-resource/mcp';

describe('bearerChallenge', () => {
  it('lists the given parameters in order', () => {
    expect(
      bearerChallenge({ error: 'invalid_token', description: 'token expired', resourceMetadataUrl: prm }),
    ).toBe(`Bearer error="invalid_token", error_description="token expired", resource_metadata="${prm}"`);
    expect(bearerChallenge({ scope: 'mcp:tools', resourceMetadataUrl: prm })).toBe(
      `Bearer scope="mcp:tools", resource_metadata="${prm}"`,
    );
  });

  it('drops characters that would break the quoted string', () => {
    expect(bearerChallenge({ description: 'a "quoted" \\ é\r\nb', resourceMetadataUrl: prm })).toBe(
      `Bearer error_description="a quoted  b", resource_metadata="${prm}"`,
    );
  });
});

describe('bearerErrors', () => {
  const errors = bearerErrors(prm);

  it('answers a missing token with 401 and a challenge naming the scopes, without an error code', () => {
    const e = errors.missingToken('an access token is required', ['mcp:tools']);
    expect(e.status).toBe(401);
    expect(e.headers['WWW-Authenticate']).toBe(`Bearer scope="mcp:tools", resource_metadata="${prm}"`);
    expect(errors.missingToken('x', []).headers['WWW-Authenticate']).toBe(
      `Bearer resource_metadata="${prm}"`,
    );
  });

  it('answers insufficient scope with 403 and the scopes to request', () => {
    const e = errors.insufficientScope(['mcp:tools', 'mcp:identity'], 'needs mcp:identity');
    expect(e.status).toBe(403);
    expect(e.toJSON()).toEqual({ error: 'insufficient_scope', error_description: 'needs mcp:identity' });
    expect(e.headers['WWW-Authenticate']).toContain('scope="mcp:tools mcp:identity"');
    expect(e.headers['WWW-Authenticate']).toContain('error="insufficient_scope"');
  });
});
