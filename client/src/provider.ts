import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { CliError, NotLoggedInError, SessionExpiredError } from './errors.ts';
import type { CallbackExpectation } from './loopback.ts';
import type { CredentialStore, StoredTokens } from './store.ts';

export const CLIENT_NAME = 'mcp-auth CLI';

// A command that never starts an authorization still has to name a redirect URI: the SDK treats a provider
// without one as a client_credentials client. It is never sent anywhere (see `interactive`).
const UNUSED_REDIRECT_URI = 'http://127.0.0.1/callback';

export interface ProviderOptions {
  /** The redirect URI of this login (the loopback listener's). */
  redirectUrl?: string;
  /** Scope to register with and fall back to when neither the server's challenge nor its metadata names one. */
  scope?: string;
  /** An https URL where this client's metadata document is published (CIMD), used when the server supports it. */
  clientMetadataUrl?: string;
  /**
   * Shows the authorization URL to the user (browser, terminal) or follows it (conformance). Without it the
   * provider is non-interactive: where the SDK would register a client or start an authorization, it throws
   * NotLoggedInError instead, so `tools`/`call` never start a login behind the user's back.
   */
  onAuthorizationUrl?: (url: URL) => Promise<void> | void;
  /**
   * Ignore the tokens and discovery results stored before this run: a login always asks the user again
   * (a refresh could not add scopes) and discovers again (the server may have moved).
   */
  fresh?: boolean;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** Two spellings of one issuer: identical, or a bare origin with and without its trailing slash. */
function sameIssuer(advertised: string, stated: string): boolean {
  if (advertised === stated) return true;
  const [shorter, longer] = advertised.length < stated.length ? [advertised, stated] : [stated, advertised];
  // The SDK's fallback (no RFC 9728 metadata) names the server's origin as `new URL('/', …)` spells it.
  return longer === `${shorter}/` && new URL(longer).pathname === '/';
}

/**
 * RFC 8414 §3.3 (and OpenID Connect Discovery §4.3): the metadata's `issuer` must be the issuer whose
 * well-known URL it was fetched from, as the protected resource metadata named it; otherwise it must not be
 * used (SEP-2468). Without this check a
 * server could hand out another server's endpoints, or name an issuer that RFC 9207 `iss` would then match.
 */
export function checkMetadataIssuer(state: OAuthDiscoveryState): void {
  const stated = state.authorizationServerMetadata?.issuer;
  if (stated === undefined || sameIssuer(state.authorizationServerUrl, stated)) return;
  // Without RFC 9728 metadata naming it, the SDK falls back to the 2025-03-26 rule (the MCP server's origin
  // hosts the authorization server's metadata): no issuer was named, so there is none to compare with.
  if (!state.resourceMetadata?.authorization_servers?.includes(state.authorizationServerUrl)) return;
  throw new CliError(
    `the authorization server metadata fetched for ${state.authorizationServerUrl} names issuer ${stated}; refusing to use it (RFC 8414 §3.3)`,
  );
}

/** The SDK's OAuthClientProvider, backed by the per-server credential file. */
export class StoreOAuthProvider implements OAuthClientProvider {
  private pendingState: string | undefined;
  private discovery: OAuthDiscoveryState | undefined;
  private freshTokens: StoredTokens | undefined;
  /** The access token last saved, or adopted from another process's refresh (see saveTokens). */
  private savedAccessToken: string | undefined;
  /** Set when the server refused the stored refresh token and the tokens were dropped. */
  private endedSession: { scope?: string } | undefined;

  constructor(
    protected readonly store: CredentialStore,
    readonly serverUrl: string,
    private readonly options: ProviderOptions = {},
  ) {}

  private get interactive(): boolean {
    return this.options.onAuthorizationUrl !== undefined;
  }

  /** A machine login (see machine.ts) has none: the SDK then asks for tokens without a person. */
  get redirectUrl(): string | undefined {
    return this.options.redirectUrl ?? UNUSED_REDIRECT_URI;
  }

  /** True when a new access token is had without a refresh token (client_credentials: machine.ts). */
  get renewsWithoutRefreshToken(): boolean {
    return false;
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata & { application_type: 'native' } {
    return {
      client_name: CLIENT_NAME,
      // SEP-837 (OpenID Connect Registration's field): a CLI on the user's machine is a native client.
      application_type: 'native',
      redirect_uris: [this.options.redirectUrl ?? UNUSED_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.options.scope ? { scope: this.options.scope } : {}),
    };
  }

  /**
   * Why a non-interactive command cannot go on: nothing stored, or a session that ended just now because
   * the refresh token was refused (then the user is told the session expired, and what scope it had).
   */
  private notLoggedIn(): NotLoggedInError {
    return this.endedSession
      ? new SessionExpiredError(this.serverUrl, this.endedSession.scope)
      : new NotLoggedInError(this.serverUrl);
  }

  /** Called by the SDK right before it builds an authorization request, so this is where a login begins. */
  state(): string {
    if (!this.interactive) throw this.notLoggedIn();
    this.pendingState = randomBytes(32).toString('base64url');
    return this.pendingState;
  }

  /** What the redirect back must carry: this login's state and the issuer found by discovery (RFC 9207). */
  authorizationExpectation(): CallbackExpectation | undefined {
    if (!this.pendingState) return undefined;
    // RFC 9207's metadata field is not in the SDK's type; the SDK keeps unknown metadata fields.
    const metadata = this.discovery?.authorizationServerMetadata as
      { issuer?: string; authorization_response_iss_parameter_supported?: unknown } | undefined;
    return {
      state: this.pendingState,
      issuer: metadata?.issuer,
      issRequired: metadata?.authorization_response_iss_parameter_supported === true,
    };
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const information = (await this.store.read(this.serverUrl))?.clientInformation;
    // Without a registration the SDK would register one now: that is part of logging in.
    if (!information && !this.interactive) throw this.notLoggedIn();
    return information;
  }

  async saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    await this.store.update(this.serverUrl, (current) => ({ ...current, clientInformation }));
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    const stored = this.options.fresh ? this.freshTokens : (await this.store.read(this.serverUrl))?.tokens;
    if (!stored) return undefined;
    // expires_at is ours; the SDK gets back exactly what it saved (including its `issuer` stamp).
    const { expires_at: _expiresAt, ...tokens } = stored;
    return tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    // The refresh lock (serializeRefreshes) saves a refresh's tokens before it lets go; the SDK saves the
    // same response again once the lock is gone, when it could overwrite a newer refresh by another process.
    if (tokens.access_token === this.savedAccessToken) return;
    this.savedAccessToken = tokens.access_token;
    const now = this.options.now?.() ?? Date.now();
    const stored: StoredTokens = {
      ...tokens,
      ...(tokens.expires_in !== undefined ? { expires_at: Math.floor(now / 1000) + tokens.expires_in } : {}),
    };
    this.freshTokens = stored;
    this.pendingState = undefined;
    await this.store.update(this.serverUrl, (current) => ({
      ...current,
      tokens: stored,
      codeVerifier: undefined,
    }));
  }

  /**
   * Tokens that another process stored after its own refresh: they are in the store already, and the SDK
   * saving them once more (with the lifetime left, and the spent refresh token if none came) must not write.
   */
  adoptStoredTokens(tokens: StoredTokens): void {
    this.savedAccessToken = tokens.access_token;
  }

  /** The tokens as stored, with expires_at (for reporting after a login). */
  async storedTokens(): Promise<StoredTokens | undefined> {
    return (await this.store.read(this.serverUrl))?.tokens;
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.store.update(this.serverUrl, (current) => ({ ...current, codeVerifier }));
  }

  async codeVerifier(): Promise<string> {
    const verifier = (await this.store.read(this.serverUrl))?.codeVerifier;
    if (!verifier) throw new CliError('no login is in progress for this server (PKCE verifier missing)');
    return verifier;
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    if (!this.options.fresh) this.discovery ??= (await this.store.read(this.serverUrl))?.discoveryState;
    return this.discovery;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    // Called right after discovery, before any of the metadata is used: the place to refuse it.
    checkMetadataIssuer(state);
    this.discovery = state;
    // Discovery runs before the SDK finds out that nobody is logged in: that must not leave a file behind.
    await this.store.update(this.serverUrl, (current) =>
      current || this.interactive ? { ...current, discoveryState: state } : undefined,
    );
  }

  /**
   * The SDK calls this when the server rejects what is stored: 'tokens' after invalid_grant (the refresh
   * token is expired or revoked, or the grant was ended), 'all' after invalid_client.
   */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'all' || scope === 'tokens') this.freshTokens = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
    await this.store.update(this.serverUrl, (current) => {
      if ((scope === 'all' || scope === 'tokens') && current?.tokens?.refresh_token) {
        this.endedSession = { scope: current.tokens.scope };
      }
      if (!current || scope === 'all') return undefined;
      const next = { ...current };
      if (scope === 'client') delete next.clientInformation;
      if (scope === 'tokens') delete next.tokens;
      if (scope === 'verifier') delete next.codeVerifier;
      if (scope === 'discovery') delete next.discoveryState;
      return next;
    });
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (!this.options.onAuthorizationUrl) throw this.notLoggedIn();
    await this.options.onAuthorizationUrl(authorizationUrl);
  }
}
