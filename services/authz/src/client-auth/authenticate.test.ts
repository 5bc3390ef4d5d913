import { describe, expect, it } from 'vitest';
import { presentedCredentials } from './authenticate.ts';
import { failureOf } from '../../../../test/support/oauth-error.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('presentedCredentials', () => {
  it('recognises each method', () => {
    expect(presentedCredentials({ authorization: basic('c', 's'), params: {} })).toMatchObject({
      method: 'client_secret_basic',
      clientId: 'c',
      clientSecret: 's',
      usedBasic: true,
    });
    expect(presentedCredentials({ params: { client_id: 'c', client_secret: 's' } })).toMatchObject({
      method: 'client_secret_post',
      clientId: 'c',
      clientSecret: 's',
      usedBasic: false,
    });
    expect(presentedCredentials({ params: { client_id: 'c' } })).toEqual({
      method: 'none',
      clientId: 'c',
      usedBasic: false,
    });
  });

  it('allows a matching client_id beside Basic', () => {
    const p = presentedCredentials({ authorization: basic('c', 's'), params: { client_id: 'c' } });
    expect(p.method).toBe('client_secret_basic');
  });

  it('refuses two methods at once', () => {
    const err = failureOf(() =>
      presentedCredentials({ authorization: basic('c', 's'), params: { client_secret: 's' } }),
    );
    expect(err.error).toBe('invalid_request');
  });

  it('refuses a body client_id that differs from Basic', () => {
    const err = failureOf(() =>
      presentedCredentials({ authorization: basic('c', 's'), params: { client_id: 'other' } }),
    );
    expect(err.error).toBe('invalid_request');
  });

  it('refuses a secret without client_id', () => {
    expect(failureOf(() => presentedCredentials({ params: { client_secret: 's' } })).error).toBe(
      'invalid_request',
    );
  });

  it('refuses a request with no client at all', () => {
    const err = failureOf(() => presentedCredentials({ params: {} }));
    expect(err.error).toBe('invalid_client');
    expect(err.status).toBe(401);
  });
});
