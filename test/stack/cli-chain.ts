import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { logInAndConsent } from '../support/browser.ts';
import { cli, startCli } from '../support/processes.ts';

/**
 * What a user does after `docker compose up` (or `npm run stack`): `mcp-auth login` through the
 * gateway, the login and consent pages in a browser, then `tools` and `call echo`, then `logout`,
 * after which the server refuses the revoked grant.
 */
export async function loginListEchoLogout(opts: {
  mcpUrl: string;
  publicUrl: string;
  user: { username: string; password: string };
  configDir: string;
  browser: Browser;
}): Promise<void> {
  const env = { MCP_AUTH_CONFIG_DIR: opts.configDir };
  const login = startCli(['login', opts.mcpUrl, '--no-browser'], env);
  const [url] = await login.waitFor(/^https?:\/\/\S+$/m);
  expect(url!.startsWith(`${opts.publicUrl}/oauth/authorize?`)).toBe(true);
  const page = await opts.browser.newPage();
  await logInAndConsent(page, url!, opts.user);
  await page.close();
  expect(await login.exited).toBe(0);

  const tools = await cli(['tools', opts.mcpUrl, '--json'], env);
  expect(tools.code, tools.stderr).toBe(0);
  const names = (JSON.parse(tools.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
  expect(names).toContain('echo');

  const call = await cli(['call', opts.mcpUrl, 'echo', '{"text":"through the gateway"}'], env);
  expect(call.code, call.stderr).toBe(0);
  expect(call.stdout).toContain('through the gateway');

  const stored = JSON.parse((await cli(['status', opts.mcpUrl, '--json'], env)).stdout) as unknown;
  expect(JSON.stringify(stored)).toContain(opts.mcpUrl);

  const logout = await cli(['logout', opts.mcpUrl], env);
  expect(logout.code, logout.stderr).toBe(0);
  expect(logout.stdout + logout.stderr).toMatch(/revoked at the server/);
  const after = await cli(['call', opts.mcpUrl, 'echo', '{"text":"again"}'], env);
  expect(after.code).not.toBe(0);
  expect(after.stderr).toMatch(/mcp-auth login/);
}
