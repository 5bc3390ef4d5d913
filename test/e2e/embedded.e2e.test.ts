import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, logInAndConsent } from '../support/browser.ts';
import { cli, freePort, repoRoot, run, start, startCli, type Running } from '../support/processes.ts';

/**
 * The README's first path, end to end: `npm start` (all-in-one, embedded PostgreSQL), then the
 * real CLI logs in through the real login and consent pages in Chromium and calls a tool.
 */
describe('all-in-one server with the CLI', () => {
  let dataDir: string;
  let configDir: string;
  let server: Running;
  let browser: Browser;
  let mcpUrl: string;
  let admin: { username: string; password: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mcp-auth-data-'));
    configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cli-'));
    const port = await freePort();
    // Exactly what `npm start` runs: its prestart (the esbuild bundles), then its start command.
    const { scripts } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const command = (script: string) => {
      const [program, ...args] = scripts[script]!.split(' ');
      expect(program).toBe('node');
      return args;
    };
    expect((await run(process.execPath, command('prestart'))).code).toBe(0);
    server = start(process.execPath, command('start'), {
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
    });
    await server.waitFor(/mcp-auth is running at/, 120_000);
    const [, password] = await server.waitFor(/password: (\S+)/);
    admin = { username: 'admin', password: password! };
    mcpUrl = `http://localhost:${port}/mcp`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    const code = await server?.stop();
    // Graceful shutdown: SIGTERM ends with exit 0 once the database is stopped.
    expect(code).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
  });

  const env = () => ({ MCP_AUTH_CONFIG_DIR: configDir });

  it('refuses tool calls before login, with a hint to log in', async () => {
    const r = await cli(['call', mcpUrl, 'echo', '{"text":"hi"}'], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mcp-auth login/);
  });

  it('logs in through the browser and calls echo', async () => {
    const login = startCli(['login', mcpUrl, '--no-browser'], env());
    const [url] = await login.waitFor(/^https?:\/\/\S+$/m);
    const page = await browser.newPage();
    await logInAndConsent(page, url!, admin);
    await expect(page.content()).resolves.toMatch(/close this (tab|window)/i);
    await page.close();
    expect(await login.exited).toBe(0);

    const call = await cli(['call', mcpUrl, 'echo', '{"text":"hello from the e2e test"}'], env());
    expect(call.code).toBe(0);
    expect(call.stdout).toContain('hello from the e2e test');
  });

  it('steps up: whoami needs mcp:identity, which a second login with --scope grants', async () => {
    const denied = await cli(['whoami', mcpUrl], env());
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/mcp:identity/);

    const login = startCli(['login', mcpUrl, '--no-browser', '--scope', 'mcp:tools mcp:identity'], env());
    const [url] = await login.waitFor(/^https?:\/\/\S+$/m);
    const page = await browser.newPage();
    await logInAndConsent(page, url!, admin);
    await page.close();
    expect(await login.exited).toBe(0);

    const who = await cli(['whoami', mcpUrl, '--json'], env());
    expect(who.code).toBe(0);
    expect(who.stdout).toContain('mcp:identity');
  });

  it('lists the tools with --json', async () => {
    const r = await cli(['tools', mcpUrl, '--json'], env());
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name).sort();
    expect(names).toEqual(['echo', 'whoami']);
  });
});
