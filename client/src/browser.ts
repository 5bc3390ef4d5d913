import { spawn } from 'node:child_process';

/** The platform's "open this URL" command; `$BROWSER` wins, as in most Unix tools. */
function opener(url: string): [string, string[]] {
  if (process.env.BROWSER) return [process.env.BROWSER, [url]];
  if (process.platform === 'darwin') return ['open', [url]];
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]];
  return ['xdg-open', [url]];
}

/**
 * Opens the URL in the user's browser, detached, ignoring every failure: the URL is always printed too,
 * so a machine without a browser (SSH, containers) still works.
 */
export function openInBrowser(url: string): void {
  const [command, args] = opener(url);
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is the fallback.
  }
}

/**
 * Shows the authorization URL on stderr as a line of its own (scripts and tests take the first line that
 * starts with http:// or https://), after a one-line hint, and opens the browser unless told not to.
 */
export function presentAuthorizationUrl(url: URL, serverUrl: string, openBrowser: boolean): void {
  const hint = openBrowser
    ? `Opening your browser to log in to ${serverUrl}; if it does not open, visit this URL:`
    : `To log in to ${serverUrl}, open this URL in a browser:`;
  process.stderr.write(`${hint}\n${url.href}\n`);
  if (openBrowser) openInBrowser(url.href);
}
