import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The package as an operator gets it: built, packed with `npm pack`, installed from the tarball
 * into an empty project outside the monorepo, and imported by plain Node (no TypeScript loader).
 */
const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let work: string | undefined;

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await rm(join(packageDir, 'dist'), { recursive: true, force: true });
});

// A consumer's script: sign a token the way an authorization server would, verify it with the library.
const CONSUMER = `
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { jwtVerifier, keySet, thumbprint, requireBearerAuth, protectedResourceMetadata } from '@mcp-auth/resource-server';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = thumbprint(publicKey);
const now = Math.floor(Date.now() / 1000);
const token = jwt.sign(
  { iss: 'https://as.example', aud: 'https://mcp.example/mcp', sub: 'alice', client_id: 'c', scope: 'a', jti: 'j', sid: 's', iat: now, exp: now + 60 },
  privateKey,
  { algorithm: 'RS256', header: { alg: 'RS256', typ: 'at+jwt', kid } },
);
const verifier = jwtVerifier({ issuer: 'https://as.example', audience: 'https://mcp.example/mcp', keys: keySet([{ kid, alg: 'RS256', key: publicKey }]) });
const auth = await verifier.verifyAccessToken(token);
console.log(JSON.stringify({
  clientId: auth.clientId,
  subject: auth.extra.subject,
  middleware: typeof requireBearerAuth({ verifier, resourceMetadataUrl: 'https://mcp.example/.well-known/oauth-protected-resource/mcp' }),
  metadata: protectedResourceMetadata({ resource: 'https://mcp.example/mcp', authorizationServers: ['https://as.example'] }).resource,
}));
`;

describe('@mcp-auth/resource-server as a published package', { timeout: 180_000 }, () => {
  it('builds, packs, installs from the tarball and works in a project of its own', async () => {
    work = await mkdtemp(join(tmpdir(), 'resource-server-pack-'));
    await run('npm', ['run', 'build'], { cwd: packageDir });
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: packageDir });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => f.includes('test') || f.startsWith('src/'))).toEqual([]);

    const consumer = join(work, 'consumer');
    await run('mkdir', ['-p', consumer]);
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)], {
      cwd: consumer,
    });
    await writeFile(join(consumer, 'check.mjs'), CONSUMER);
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual({
      clientId: 'c',
      subject: 'alice',
      middleware: 'function',
      metadata: 'https://mcp.example/mcp',
    });
    expect(existsSync(join(consumer, 'node_modules/@mcp-auth/resource-server/dist/index.d.ts'))).toBe(true);
    // Nothing of the monorepo came along.
    expect(existsSync(join(consumer, 'node_modules/@mcp-auth/core'))).toBe(false);
  });
});
