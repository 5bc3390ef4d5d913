import { describe, expect, it } from 'vitest';
import { authenticateRevocationRequest } from './revoke.ts';

const authenticate = (
  client: { client_id: string; client_secret?: string; token_endpoint_auth_method?: string },
  methods?: string[],
) => {
  const headers = new Headers();
  const body = new URLSearchParams({ token: 't' });
  authenticateRevocationRequest(
    client,
    { revocation_endpoint_auth_methods_supported: methods },
    headers,
    body,
  );
  return { authorization: headers.get('authorization'), body: Object.fromEntries(body) };
};

describe('authenticateRevocationRequest (RFC 7009 §2.1: as at the token endpoint)', () => {
  it("sends a public client's id in the body", () => {
    expect(
      authenticate({ client_id: 'cli', token_endpoint_auth_method: 'none' }, ['none', 'client_secret_basic']),
    ).toEqual({
      authorization: null,
      body: { token: 't', client_id: 'cli' },
    });
  });

  it('uses Basic with form-encoded credentials for a client registered for it', () => {
    const { authorization, body } = authenticate(
      { client_id: 'id:1', client_secret: 's%cret é', token_endpoint_auth_method: 'client_secret_basic' },
      ['client_secret_basic', 'client_secret_post', 'none'],
    );
    expect(body).toEqual({ token: 't' });
    const decoded = Buffer.from(authorization!.replace(/^Basic /, ''), 'base64').toString();
    expect(decoded).toBe('id%3A1:s%25cret+%C3%A9');
  });

  it('sends the secret in the body for client_secret_post', () => {
    expect(
      authenticate({ client_id: 'c', client_secret: 's', token_endpoint_auth_method: 'client_secret_post' }, [
        'client_secret_post',
      ]),
    ).toEqual({ authorization: null, body: { token: 't', client_id: 'c', client_secret: 's' } });
  });
});
