import { describe, expect, it } from 'vitest';
import { formatDuration, statusOf } from './status.ts';

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(95)).toBe('1m 35s');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 59)).toBe('3d 4h');
    expect(formatDuration(-95)).toBe('1m 35s');
  });
});

describe('statusOf', () => {
  const discoveryState = {
    authorizationServerUrl: 'http://localhost:8080',
    authorizationServerMetadata: {
      issuer: 'http://localhost:8080',
      authorization_endpoint: 'http://localhost:8080/oauth/authorize',
      token_endpoint: 'http://localhost:8080/oauth/token',
      response_types_supported: ['code'],
    },
  };

  it('reports a login with its expiry and refresh token', () => {
    const status = statusOf(
      {
        serverUrl: 'http://localhost:8080/mcp',
        clientInformation: { client_id: 'c1' },
        tokens: {
          access_token: 'at',
          token_type: 'Bearer',
          scope: 'mcp:tools',
          refresh_token: 'rt',
          expires_at: 2000,
        },
        discoveryState,
        savedAt: '',
      },
      1_100_500,
    );
    expect(status).toEqual({
      serverUrl: 'http://localhost:8080/mcp',
      issuer: 'http://localhost:8080',
      clientId: 'c1',
      loggedIn: true,
      scope: 'mcp:tools',
      expiresAt: '1970-01-01T00:33:20.000Z',
      expiresIn: 900,
      refreshable: true,
    });
  });

  it('reports a kept registration without tokens as logged out', () => {
    expect(
      statusOf({ serverUrl: 'http://x/mcp', clientInformation: { client_id: 'c1' }, savedAt: '' }, 0),
    ).toMatchObject({
      issuer: null,
      clientId: 'c1',
      loggedIn: false,
      expiresAt: null,
      expiresIn: null,
      refreshable: false,
    });
  });
});
