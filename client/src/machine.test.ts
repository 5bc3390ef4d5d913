import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './errors.ts';
import {
  absoluteSources,
  MachineOAuthProvider,
  readClientSecret,
  readPrivateKey,
  signingAlgorithmFor,
} from './machine.ts';
import { CredentialStore } from './store.ts';

const SERVER = 'http://127.0.0.1:9/mcp';
const ISSUER = 'http://127.0.0.1:9';

let dir: string;
let store: CredentialStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcp-auth-machine-'));
  store = new CredentialStore(join(dir, 'config'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** An ES256 JWT's header and claims, and whether `publicKey` made its signature (JWS: R || S). */
function readEs256Jwt(jwt: string, publicKey: KeyObject) {
  const [header = '', payload = '', signature = ''] = jwt.split('.');
  const signed = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  const json = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
  return { signed, header: json(header), claims: json(payload) };
}

describe('signingAlgorithmFor', () => {
  it.each([
    ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256'],
    ['a P-256 key', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256'],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'ES384'],
    ['an Ed25519 key', generateKeyPairSync('ed25519').privateKey, 'EdDSA'],
  ])('signs with the one algorithm %s allows', (_what, key, alg) => {
    expect(signingAlgorithmFor(key)).toBe(alg);
  });

  it('refuses a key that cannot sign', () => {
    expect(() => signingAlgorithmFor(generateKeyPairSync('x25519').privateKey)).toThrow(CliError);
  });
});

describe('credential sources', () => {
  it('reads a secret file without its trailing newline, and refuses an empty one', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, 's3cret value\n');
    expect(await readClientSecret({ clientId: 'svc', secretFile: file })).toBe('s3cret value');
    await writeFile(file, '\n');
    await expect(readClientSecret({ clientId: 'svc', secretFile: file })).rejects.toThrow(/is empty/);
    await expect(readClientSecret({ clientId: 'svc', secretFile: join(dir, 'missing') })).rejects.toThrow(
      /cannot read the client secret file .*: no such file/,
    );
  });

  it('reads a secret from the environment, naming the variable when it is unset', async () => {
    const machine = { clientId: 'svc', secretEnv: 'SVC_SECRET' };
    expect(await readClientSecret(machine, { SVC_SECRET: 'from-env' })).toBe('from-env');
    await expect(readClientSecret(machine, {})).rejects.toThrow(
      'the environment variable SVC_SECRET (client secret) is not set',
    );
  });

  it('refuses a key file without a private key', async () => {
    const file = join(dir, 'key.pem');
    await writeFile(file, 'not a key');
    await expect(readPrivateKey(file)).rejects.toThrow(`${file} holds no private key in PEM form`);
  });

  it('stores relative paths as absolute ones', () => {
    const machine = absoluteSources({ clientId: 'svc', privateKeyFile: 'keys/svc.pem' });
    expect(machine.privateKeyFile).toBe(join(process.cwd(), 'keys/svc.pem'));
  });
});

describe('MachineOAuthProvider', () => {
  it('asks for client_credentials without a redirect URI, with the scope of the login', () => {
    const provider = new MachineOAuthProvider(store, SERVER, {
      clientId: 'svc',
      secretEnv: 'X',
      scope: 'mcp:tools',
    });
    expect(provider.redirectUrl).toBeUndefined();
    expect(provider.renewsWithoutRefreshToken).toBe(true);
    expect(provider.clientMetadata).toMatchObject({
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'mcp:tools',
    });
    expect(Object.fromEntries(provider.prepareTokenRequest('mcp:tools'))).toEqual({
      grant_type: 'client_credentials',
      scope: 'mcp:tools',
    });
    expect(provider.addClientAuthentication).toBeUndefined();
  });

  it('hands the SDK the secret but never writes it to the credential file', async () => {
    const secretFile = join(dir, 'secret');
    await writeFile(secretFile, 'the-secret\n');
    const provider = new MachineOAuthProvider(store, SERVER, { clientId: 'svc', secretFile });
    expect(await provider.clientInformation()).toEqual({ client_id: 'svc', client_secret: 'the-secret' });

    // What auth() does once the server accepted the credentials: bind them to its issuer.
    await provider.saveClientInformation({ client_id: 'svc', client_secret: 'the-secret', issuer: ISSUER });
    expect(await readFile(store.fileFor(SERVER), 'utf8')).not.toContain('the-secret');
    expect(await provider.clientInformation()).toEqual({
      client_id: 'svc',
      client_secret: 'the-secret',
      issuer: ISSUER,
    });
  });

  it('keeps the configured credentials when the server answers invalid_client', async () => {
    const machine = { clientId: 'svc', secretEnv: 'X' };
    await store.update(SERVER, () => ({
      machine,
      clientInformation: { client_id: 'svc', issuer: ISSUER },
      tokens: { access_token: 'at', token_type: 'Bearer' },
    }));
    await new MachineOAuthProvider(store, SERVER, machine).invalidateCredentials('all');
    const record = await store.read(SERVER);
    expect(record?.machine).toEqual(machine);
    expect(record?.clientInformation).toEqual({ client_id: 'svc', issuer: ISSUER });
    expect(record?.tokens).toBeUndefined();
  });

  it('authenticates with a client assertion signed by the key (RFC 7523): iss and sub the client, aud the issuer', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyFile = join(dir, 'svc.pem');
    await writeFile(privateKeyFile, pemOf(privateKey), { mode: 0o600 });
    const provider = new MachineOAuthProvider(store, SERVER, { clientId: 'svc', privateKeyFile });
    expect(provider.clientMetadata.token_endpoint_auth_method).toBe('private_key_jwt');

    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const metadata = {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      response_types_supported: ['code'],
    };
    await provider.addClientAuthentication!(
      new Headers(),
      params,
      new URL(metadata.token_endpoint),
      metadata,
    );

    expect(params.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const assertion = params.get('client_assertion')!;
    const { signed, header, claims } = readEs256Jwt(assertion, publicKey);
    expect(signed).toBe(true);
    expect(header.alg).toBe('ES256');
    expect(claims).toMatchObject({ iss: 'svc', sub: 'svc', aud: ISSUER, jti: expect.any(String) });
    const { iat, exp } = claims as { iat: number; exp: number };
    expect(exp - iat).toBeLessThanOrEqual(300);

    // Another key did not make it.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(readEs256Jwt(assertion, other).signed).toBe(false);
  });
});
