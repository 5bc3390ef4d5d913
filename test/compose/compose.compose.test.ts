import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  Wait,
  type StartedDockerComposeEnvironment,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { freePort, repoRoot } from '../support/processes.ts';
import { loginListEchoLogout } from '../stack/cli-chain.ts';
import { postJson, request } from '../stack/http.ts';

/**
 * `docker compose up` for real (testcontainers' compose support): the image is built, the one-shot
 * jobs run, and the CLI chain goes through the published gateway port. Needs Docker with the
 * compose plugin; `npm test` covers the same topology as local processes (test/stack).
 */
describe('docker compose up', () => {
  let environment: StartedDockerComposeEnvironment | undefined;
  let publicUrl: string;
  let browser: Browser | undefined;
  let configDir: string;
  const user = { username: 'compose-user', password: randomBytes(12).toString('base64url') };

  beforeAll(async () => {
    const docker = await getContainerRuntimeClient().then(
      () => undefined,
      (err: Error) => err,
    );
    if (docker) {
      throw new Error(
        `npm run test:compose needs a Docker engine with the compose plugin, and none was found ` +
          `(${docker.message}). Run it on a machine with Docker; npm test covers the same topology ` +
          `as local processes (test/stack).`,
      );
    }
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    environment = await new DockerComposeEnvironment(repoRoot, 'docker-compose.yml')
      .withProjectName(`mcp-auth-test-${randomBytes(4).toString('hex')}`)
      .withBuild()
      .withEnvironment({
        GATEWAY_PORT: String(port),
        PUBLIC_URL: publicUrl,
        POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
        LOG_LEVEL: 'warn',
      })
      .withWaitStrategy('keys-1', Wait.forOneShotStartup())
      .withWaitStrategy('migrate-1', Wait.forOneShotStartup())
      .withWaitStrategy('registration-1', Wait.forHealthCheck())
      .withWaitStrategy('authz-1', Wait.forHealthCheck())
      .withWaitStrategy('mcp-1', Wait.forHealthCheck())
      .withWaitStrategy('gateway-1', Wait.forHealthCheck())
      .withStartupTimeout(600_000)
      .up();
    configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cli-'));
  });

  afterAll(async () => {
    await browser?.close();
    await environment?.down({ removeVolumes: true });
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('serves both metadata documents through the gateway', async () => {
    const as = await request(`${publicUrl}/.well-known/oauth-authorization-server`);
    expect(as.status).toBe(200);
    expect(as.json()).toMatchObject({
      issuer: publicUrl,
      registration_endpoint: `${publicUrl}/oauth/register`,
    });
    const pr = await request(`${publicUrl}/.well-known/oauth-protected-resource/mcp`);
    expect(pr.status).toBe(200);
    expect(pr.json()).toMatchObject({ resource: `${publicUrl}/mcp`, authorization_servers: [publicUrl] });
  });

  it('registers a client and refuses anonymous MCP calls with the metadata URL', async () => {
    const reg = await postJson(`${publicUrl}/oauth/register`, {
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    });
    expect(reg.status).toBe(201);
    const mcp = await postJson(`${publicUrl}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(mcp.status).toBe(401);
    expect(mcp.headers['www-authenticate']).toContain(
      `${publicUrl}/.well-known/oauth-protected-resource/mcp`,
    );
  });

  it('routes nothing else: /metrics is 404 at the gateway', async () => {
    const res = await request(`${publicUrl}/metrics`);
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
  });

  it('the CLI logs in through the gateway, lists tools, calls echo and logs out', async () => {
    const added = await environment!
      .getContainer('authz-1')
      .exec(['sh', '-c', 'printf "%s\\n" "$PW" | node dist/user.js add "$NAME"'], {
        env: { PW: user.password, NAME: user.username },
      });
    expect(added.exitCode, added.output).toBe(0);
    browser = await launchBrowser();
    await loginListEchoLogout({ mcpUrl: `${publicUrl}/mcp`, publicUrl, user, configDir, browser });
  });
});
