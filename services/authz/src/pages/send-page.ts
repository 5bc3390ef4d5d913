import type { Response } from 'express';
import type { SafeHtml } from './html.ts';
import { STYLE_HASH } from './layout.ts';

/**
 * Headers for every response of the login flow, pages and redirects alike: nothing cached (they
 * carry codes and CSRF tokens), no Referer leaking a code or request id to the next site.
 */
export function flowHeaders(res: Response): void {
  res.set({
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });
}

/**
 * `formTargets` are origins a form on the page may end up at. Chromium applies `form-action` to
 * the redirects that follow a form post too, and our login and consent posts answer with a 303 to
 * the client's redirect URI; so the page allows its own origin plus exactly that one.
 */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    `form-action 'self'${formTargets.map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * A redirect URI as a CSP source: its origin, or for a native app's private-use scheme
 * (`com.example.app:/cb`, RFC 8252 §7.1), which has no origin, the scheme itself.
 */
export function formTargetOf(redirectUri: string): string[] {
  try {
    const url = new URL(redirectUri);
    if (url.origin !== 'null') return [url.origin];
    return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? [url.protocol] : [];
  } catch {
    return [];
  }
}

export function sendPage(
  res: Response,
  status: number,
  page: SafeHtml,
  opts: { formTargets?: readonly string[] } = {},
): void {
  flowHeaders(res);
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': contentSecurityPolicy(opts.formTargets),
      'X-Frame-Options': 'DENY',
    })
    .send(page.value);
}
