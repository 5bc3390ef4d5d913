import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface ErrorPageInput {
  site: string;
  /** The OAuth error code, shown so a developer can look it up. */
  error: string;
  description: string;
  title?: string;
}

export function errorPage(p: ErrorPageInput): SafeHtml {
  const title = p.title ?? 'This sign-in cannot continue';
  const body = html`<h1 id="page-title">${title}</h1>
    <div class="alert" role="alert">${p.description}</div>
    <p>Close this page and start again from the app you were signing in to.</p>
    <dl class="details">
      <dt>Error code</dt>
      <dd><code>${p.error}</code></dd>
    </dl>`;
  return layout({ title, site: p.site, body });
}
