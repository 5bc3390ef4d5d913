import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError, NotLoggedInError, SessionExpiredError } from './errors.ts';
import { checkMetadataIssuer, StoreOAuthProvider } from './provider.ts';
import { CredentialStore } from './store.ts';

const SERVER = 'http://localhost:8080/mcp';
const discovery = {
  authorizationServerUrl: 'http://localhost:8080',
  authorizationServerMetadata: {
    issuer: 'http://localhost:8080',
    authorization_endpoint: 'http://localhost:8080/oauth/authorize',
    token_endpoint: 'http://localhost:8080/oauth/token',
    response_types_supported: ['code'],
    authorization_response_iss_parameter_supported: true,
  },
};

let dir: string;
let store: CredentialStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-provider-'));
  store = new CredentialStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const interactive = (options = {}) =>
  new StoreOAuthProvider(store, SERVER, {
    redirectUrl: 'http://127.0.0.1:5555/callback',
    onAuthorizationUrl: () => undefined,
    ...options,
  });

describe('StoreOAuthProvider', () => {
  it('describes a public loopback client for registration', () => {
    const metadata = interactive({ scope: 'mcp:tools' }).clientMetadata;
    expect(metadata).toEqual({
      client_name: 'mcp-auth CLI',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1:5555/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'mcp:tools',
    });
  });

  it('stores an absolute expiry with the tokens and clears the PKCE verifier', async () => {
    const provider = interactive({ now: () => 1_000_000_000_500 });
    await provider.saveCodeVerifier('verifier');
    expect(await provider.codeVerifier()).toBe('verifier');
    await provider.saveTokens({
      access_token: 'at',
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: 'rt',
    });

    const record = await store.read(SERVER);
    expect(record?.tokens?.expires_at).toBe(1_000_000_000 + 900);
    expect(record?.codeVerifier).toBeUndefined();
    // The SDK gets back what it saved, without our field.
    expect(await new StoreOAuthProvider(store, SERVER).tokens()).toEqual({
      access_token: 'at',
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: 'rt',
    });
  });

  it('reuses a stored registration', async () => {
    await interactive().saveClientInformation({ client_id: 'registered', issuer: 'http://localhost:8080' });
    expect(await new StoreOAuthProvider(store, SERVER).clientInformation()).toEqual({
      client_id: 'registered',
      issuer: 'http://localhost:8080',
    });
  });

  it('ignores earlier tokens and discovery during a fresh login', async () => {
    await interactive().saveTokens({ access_token: 'old', token_type: 'Bearer' });
    await interactive().saveDiscoveryState(discovery);
    const fresh = interactive({ fresh: true });
    expect(await fresh.tokens()).toBeUndefined();
    expect(await fresh.discoveryState()).toBeUndefined();
    await fresh.saveTokens({ access_token: 'new', token_type: 'Bearer' });
    expect((await fresh.tokens())?.access_token).toBe('new');
  });

  it('expects the state it generated and the issuer that discovery found (RFC 9207)', async () => {
    const provider = interactive({ fresh: true });
    expect(provider.authorizationExpectation()).toBeUndefined();
    await provider.saveDiscoveryState(discovery);
    const state = provider.state();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(provider.state()).not.toBe(state);
    expect(provider.authorizationExpectation()).toEqual({
      state: provider.authorizationExpectation()?.state,
      issuer: 'http://localhost:8080',
      issRequired: true,
    });
  });

  it('never starts a login when non-interactive, and leaves no file behind', async () => {
    const provider = new StoreOAuthProvider(store, SERVER);
    await provider.saveDiscoveryState(discovery);
    await expect(provider.clientInformation()).rejects.toThrow(NotLoggedInError);
    expect(() => provider.state()).toThrow(NotLoggedInError);
    await expect(
      provider.redirectToAuthorization(new URL('http://localhost:8080/oauth/authorize')),
    ).rejects.toThrow(/Not logged in to http:\/\/localhost:8080\/mcp/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('drops what the server rejected', async () => {
    const provider = interactive();
    await provider.saveClientInformation({ client_id: 'c' });
    await provider.saveTokens({ access_token: 'at', token_type: 'Bearer' });
    await provider.invalidateCredentials('tokens');
    expect(await provider.tokens()).toBeUndefined();
    expect((await provider.clientInformation())?.client_id).toBe('c');

    await provider.invalidateCredentials('all');
    expect(await store.read(SERVER)).toBeUndefined();
  });

  it('calls a session expired once the server refused the refresh token, with the scope it had', async () => {
    await interactive().saveClientInformation({ client_id: 'c' });
    await interactive().saveTokens({
      access_token: 'at',
      token_type: 'Bearer',
      scope: 'mcp:tools',
      refresh_token: 'rt',
    });
    const provider = new StoreOAuthProvider(store, SERVER);
    await provider.invalidateCredentials('tokens');
    let thrown: unknown;
    try {
      provider.state();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SessionExpiredError);
    expect((thrown as SessionExpiredError).message).toBe(`Session expired: run \`mcp-auth login ${SERVER}\``);
    expect((thrown as SessionExpiredError).scope).toBe('mcp:tools');
    expect(await provider.tokens()).toBeUndefined();

    // Nothing to refresh in the first place: plainly not logged in.
    const other = new StoreOAuthProvider(store, SERVER);
    await other.invalidateCredentials('tokens');
    expect(() => other.state()).toThrow(NotLoggedInError);
    expect(() => other.state()).not.toThrow(SessionExpiredError);
  });
});

describe('checkMetadataIssuer (RFC 8414 §3.3)', () => {
  const state = (authorizationServerUrl: string, issuer: string) => ({
    authorizationServerUrl,
    resourceMetadata: { resource: SERVER, authorization_servers: [authorizationServerUrl] },
    authorizationServerMetadata: { ...discovery.authorizationServerMetadata, issuer },
  });

  it('accepts metadata naming the issuer its well-known URL was built from', () => {
    expect(() =>
      checkMetadataIssuer(state('https://as.example/tenant', 'https://as.example/tenant')),
    ).not.toThrow();
    // The SDK spells a bare origin with a trailing slash when it falls back to the server's origin.
    expect(() => checkMetadataIssuer(state('https://as.example/', 'https://as.example'))).not.toThrow();
    expect(() => checkMetadataIssuer({ authorizationServerUrl: 'https://as.example' })).not.toThrow();
    // No RFC 9728 metadata (2025-03-26 servers): the MCP server's origin hosts the metadata, no issuer was named.
    const { resourceMetadata: _none, ...legacy } = state('https://mcp.example/', 'https://mcp.example/oauth');
    expect(() => checkMetadataIssuer(legacy)).not.toThrow();
  });

  it.each([
    ['another host', 'https://as.example', 'https://attacker.example'],
    ['another path', 'https://as.example/tenant-a', 'https://as.example/tenant-b'],
    ['a trailing slash after a path', 'https://as.example/tenant', 'https://as.example/tenant/'],
    ['another scheme', 'https://as.example', 'http://as.example'],
  ])('refuses metadata naming %s', (_what, advertised, stated) => {
    expect(() => checkMetadataIssuer(state(advertised, stated))).toThrow(CliError);
  });

  it('is checked before discovery results are kept', async () => {
    const provider = interactive();
    await expect(
      provider.saveDiscoveryState(state('http://localhost:8080', 'https://attacker.example')),
    ).rejects.toThrow(/names issuer https:\/\/attacker\.example; refusing to use it/);
    expect(await provider.discoveryState()).toBeUndefined();
    expect(await store.read(SERVER)).toBeUndefined();
  });
});
