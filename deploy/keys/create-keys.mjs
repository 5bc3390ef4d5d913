// The compose `keys` job (and the local stack's): creates the token signing key pair once.
// The private key goes where the authorization server reads it (JWT_PRIVATE_KEY_PATH, mode 0600);
// the public key goes to a separate place (JWT_PUBLIC_KEYS_PATH), so the MCP service can be given
// that alone. An existing private key is kept (tokens stay valid across `docker compose up`), and
// the public file is always derived from it, so the two can never disagree.
// Plain JavaScript with node:crypto only: it runs in the runtime image, which has no TypeScript.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const fail = (message) => {
  console.error(`keys: ${message}`);
  process.exit(1);
};

const privatePath = process.env.JWT_PRIVATE_KEY_PATH;
const publicPath = process.env.JWT_PUBLIC_KEYS_PATH;
const alg = process.env.JWT_ALG ?? 'RS256';
if (!privatePath) fail('JWT_PRIVATE_KEY_PATH: is required but not set');
if (!publicPath) fail('JWT_PUBLIC_KEYS_PATH: is required but not set');
if (alg !== 'RS256' && alg !== 'ES256') fail(`JWT_ALG: must be RS256 or ES256, not ${alg}`);

function generate() {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

let pem = await readFile(privatePath, 'utf8').catch((err) => {
  if (err.code !== 'ENOENT') fail(`cannot read ${privatePath}: ${err.message}`);
  return undefined;
});
if (pem === undefined) {
  await mkdir(dirname(privatePath), { recursive: true, mode: 0o700 });
  pem = generate();
  // 'wx': two jobs started at once must not overwrite each other's key; the loser reads the winner's.
  const created = await writeFile(privatePath, pem, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    () => false,
  );
  if (!created) pem = await readFile(privatePath, 'utf8');
  console.log(created ? `keys: created a new ${alg} signing key` : 'keys: another job created the key');
} else {
  console.log('keys: signing key already present, kept');
}

let publicPem;
try {
  publicPem = createPublicKey(createPrivateKey(pem)).export({ format: 'pem', type: 'spki' }).toString();
} catch (err) {
  fail(`${privatePath} is not a PEM private key: ${err.message}`);
}
await mkdir(dirname(publicPath), { recursive: true });
// Write then rename, so a reader never sees a half-written file.
await writeFile(`${publicPath}.tmp`, publicPem, { mode: 0o644 });
await rename(`${publicPath}.tmp`, publicPath);
console.log(`keys: public key written to ${publicPath}`);
