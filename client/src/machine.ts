import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { CliError } from './errors.ts';
import { probeChallenge } from './login-flow.ts';
import { CLIENT_NAME, StoreOAuthProvider } from './provider.ts';
import type { CredentialStore, MachineCredentials, StoredTokens } from './store.ts';

/**
 * Machine logins: the OAuth client_credentials grant (OAuth 2.1 §4.2, the MCP client-credentials
 * extension, SEP-1046) for programs with no person behind them. The client authenticates with a secret
 * (client_secret_basic / _post) or a private key (private_key_jwt, RFC 7523 §2.2); there is no browser, no
 * refresh token, and "refreshing" is asking for a new token with the same credentials.
 */

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

async function readCredentialFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = isNotFound(error) ? 'no such file' : (error as Error).message;
    throw new CliError(`cannot read the ${what} file ${path}: ${reason}`);
  }
}

/** The client secret from its file (one line; a trailing newline is not part of it) or variable. */
export async function readClientSecret(
  machine: MachineCredentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  let secret: string | undefined;
  if (machine.secretFile !== undefined) {
    secret = (await readCredentialFile(machine.secretFile, 'client secret')).replace(/\r?\n$/, '');
    if (!secret) throw new CliError(`the client secret file ${machine.secretFile} is empty`);
  } else if (machine.secretEnv !== undefined) {
    secret = env[machine.secretEnv];
    if (!secret)
      throw new CliError(`the environment variable ${machine.secretEnv} (client secret) is not set`);
  }
  return secret;
}

/** The JWS algorithm a private key signs with: fixed by the key's type, so there is nothing to choose. */
export function signingAlgorithmFor(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? ''];
    if (alg) return alg;
  }
  throw new CliError(
    `the private key is of a kind that cannot sign client assertions (${type ?? 'unknown'}); use an RSA, EC P-256/384/521 or Ed25519 key`,
  );
}

/** The private key as PKCS#8 PEM (what the SDK's signer imports) and the algorithm it signs with. */
export async function readPrivateKey(path: string): Promise<{ pem: string; alg: string }> {
  const text = await readCredentialFile(path, 'private key');
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new CliError(`${path} holds no private key in PEM form`);
  }
  const alg = signingAlgorithmFor(key);
  return { pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), alg };
}

type AddClientAuthentication = NonNullable<OAuthClientProvider['addClientAuthentication']>;

/**
 * The provider for a machine login. It keeps tokens, discovery and the registration's issuer binding in the
 * credential file as the person's provider does; the credential itself is read from its source on each
 * token request. With no redirect URI the SDK's auth() asks the token endpoint directly (fetchToken).
 */
export class MachineOAuthProvider extends StoreOAuthProvider {
  readonly addClientAuthentication: AddClientAuthentication | undefined;

  constructor(
    store: CredentialStore,
    serverUrl: string,
    private readonly machine: MachineCredentials,
    options: { fresh?: boolean; now?: () => number } = {},
  ) {
    super(store, serverUrl, options);
    const keyFile = machine.privateKeyFile;
    // RFC 7523 §3: iss and sub are the client id; the SDK makes aud the issuer (RFC 7523bis), a fresh jti
    // and a five-minute expiry.
    this.addClientAuthentication = keyFile
      ? async (headers, params, url, metadata) => {
          const { pem, alg } = await readPrivateKey(keyFile);
          const sign = createPrivateKeyJwtAuth({
            issuer: machine.clientId,
            subject: machine.clientId,
            privateKey: pem,
            alg,
          });
          await sign(headers, params, url, metadata);
        }
      : undefined;
  }

  override get redirectUrl(): undefined {
    return undefined;
  }

  override get renewsWithoutRefreshToken(): boolean {
    return true;
  }

  override get clientMetadata(): OAuthClientMetadata & { application_type: 'native' } {
    return {
      client_name: CLIENT_NAME,
      application_type: 'native',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: this.machine.privateKeyFile ? 'private_key_jwt' : 'client_secret_basic',
      // fetchToken() asks for this scope.
      ...(this.machine.scope ? { scope: this.machine.scope } : {}),
    };
  }

  /** client_credentials (OAuth 2.1 §4.2.1): what fetchToken() sends instead of an authorization code. */
  prepareTokenRequest(scope?: string): URLSearchParams {
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) params.set('scope', scope);
    return params;
  }

  /**
   * The client id, bound by the SDK to the authorization server that first accepted it (its `issuer` stamp:
   * the SDK then refuses to send these credentials anywhere else), plus the secret read from its source.
   */
  override async clientInformation(): Promise<OAuthClientInformationMixed> {
    const stored = (await this.store.read(this.serverUrl))?.clientInformation;
    const bound = stored?.client_id === this.machine.clientId ? stored : { client_id: this.machine.clientId };
    const secret = await readClientSecret(this.machine);
    return secret === undefined ? bound : { ...bound, client_secret: secret };
  }

  /** Keeps the id and the SDK's issuer stamp; the secret stays where the operator put it. */
  override async saveClientInformation(clientInformation: OAuthClientInformationMixed): Promise<void> {
    const { client_secret: _secret, ...kept } = clientInformation;
    await super.saveClientInformation(kept);
  }

  /**
   * After invalid_client the SDK would forget the registration and register anew: a machine's credentials
   * are the operator's, so only the tokens go; the SDK's one retry then fails with the server's answer.
   */
  override async invalidateCredentials(
    scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery',
  ): Promise<void> {
    await super.invalidateCredentials(scope === 'all' || scope === 'client' ? 'tokens' : scope);
  }
}

export interface MachineLoginOptions {
  store: CredentialStore;
  serverUrl: string;
  machine: MachineCredentials;
  fetchFn?: typeof fetch;
}

/** Relative credential paths are stored absolute: later commands may run from another directory. */
export const absoluteSources = (machine: MachineCredentials): MachineCredentials => ({
  ...machine,
  ...(machine.secretFile ? { secretFile: resolve(machine.secretFile) } : {}),
  ...(machine.privateKeyFile ? { privateKeyFile: resolve(machine.privateKeyFile) } : {}),
});

/**
 * A machine login: discovery from the server's 401 (RFC 9728 → RFC 8414, as for people), then a
 * client_credentials token request. The scope is the one asked for, else the one the server's challenge
 * names. Replaces whatever was stored for the server (a person's login included).
 */
export async function logInAsMachine(options: MachineLoginOptions): Promise<StoredTokens> {
  const { store, serverUrl } = options;
  // Checked before anything is sent or stored, so a typo is reported as such.
  if (options.machine.privateKeyFile) await readPrivateKey(options.machine.privateKeyFile);
  else await readClientSecret(options.machine);

  const challenge = await probeChallenge(serverUrl, options.fetchFn);
  const scope = options.machine.scope ?? challenge.scope;
  const machine: MachineCredentials = { ...options.machine, ...(scope ? { scope } : {}) };
  const previous = await store.read(serverUrl);
  await store.update(serverUrl, () => ({
    machine,
    // The issuer binding survives a new login with the same client id (a step-up, new scope).
    ...(previous?.machine?.clientId === machine.clientId && previous.clientInformation
      ? { clientInformation: previous.clientInformation }
      : {}),
  }));
  const provider = new MachineOAuthProvider(store, serverUrl, machine, { fresh: true });
  await auth(provider, {
    serverUrl,
    scope,
    resourceMetadataUrl: challenge.resourceMetadataUrl,
    fetchFn: options.fetchFn,
  });
  const tokens = await provider.storedTokens();
  if (!tokens) throw new CliError(`the authorization server of ${serverUrl} issued no token`);
  return tokens;
}
