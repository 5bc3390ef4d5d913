import { describe, expect, it } from 'vitest';
import { checkGrantType } from './check-grant-type.ts';

describe('checkGrantType', () => {
  it('accepts a client registered for authorization_code', () => {
    expect(() => checkGrantType({ grantTypes: ['authorization_code', 'refresh_token'] })).not.toThrow();
  });

  it('refuses a client registered for other grants only with unauthorized_client', () => {
    expect(() => checkGrantType({ grantTypes: ['client_credentials'] })).toThrow(
      expect.objectContaining({ error: 'unauthorized_client' }),
    );
  });
});
