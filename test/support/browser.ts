import { chromium, type Browser, type Page } from 'playwright-core';
import { startCli } from './processes.ts';

/** Debian's Chromium, never a downloaded browser; flags keep it off the (closed) network. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Does what a person does with the URL the CLI prints: logs in on our login page (unless the
 * browser is still signed in, which skips it), then answers the consent page (when it is shown).
 * Resolves with the page once the browser has reached the client's redirect URI.
 */
export async function logInAndConsent(
  page: Page,
  authorizationUrl: string,
  user: { username: string; password: string },
  decision: 'approve' | 'deny' = 'approve',
): Promise<Page> {
  await page.goto(authorizationUrl);
  if (await page.locator('input[name="password"]').count()) {
    await page.getByLabel(/username/i).fill(user.username);
    await page.getByLabel(/password/i).fill(user.password);
    await Promise.all([
      page.waitForNavigation(),
      page.locator('form button[type="submit"], form input[type="submit"]').first().click(),
    ]);
  }
  const consent = page.locator(`button[name="decision"][value="${decision}"]`);
  if (await consent.count()) {
    await Promise.all([page.waitForNavigation(), consent.click()]);
  }
  return page;
}

/**
 * `mcp-auth login <mcpUrl> --no-browser` run to the end: the person's part is done in `browser`
 * on the URL the CLI prints. Resolves with the CLI's output once it has exited 0.
 */
export async function cliLogIn(opts: {
  browser: Browser;
  mcpUrl: string;
  user: { username: string; password: string };
  env: NodeJS.ProcessEnv;
  args?: string[];
}): Promise<string> {
  const login = startCli(['login', opts.mcpUrl, '--no-browser', ...(opts.args ?? [])], opts.env);
  const [url] = await login.waitFor(/^https?:\/\/\S+$/m);
  const page = await opts.browser.newPage();
  try {
    await logInAndConsent(page, url!, opts.user);
  } finally {
    await page.close();
  }
  const code = await login.exited;
  if (code !== 0) throw new Error(`mcp-auth login exited ${code}:\n${login.output()}`);
  return login.output();
}
