import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html.ts';

// One stylesheet, inline so the pages load nothing from elsewhere; its hash goes in the CSP, so no
// other style (injected or not) can apply.
const CSS = `
:root {
  color-scheme: light dark;
  --bg: #f3f4f6; --card: #ffffff; --text: #111827; --muted: #4b5563; --border: #d1d5db;
  --primary: #1d4ed8; --primary-hover: #1e40af; --primary-text: #ffffff;
  --focus: #2563eb; --danger-bg: #fef2f2; --danger-text: #991b1b; --danger-border: #fca5a5;
  --note-bg: #eff6ff; --note-border: #bfdbfe; --code-bg: #f3f4f6;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b1120; --card: #111827; --text: #f9fafb; --muted: #cbd5e1; --border: #374151;
    --primary: #3b82f6; --primary-hover: #60a5fa; --primary-text: #0b1120;
    --focus: #93c5fd; --danger-bg: #2a1215; --danger-text: #fecaca; --danger-border: #7f1d1d;
    --note-bg: #0f1d3a; --note-border: #1e3a8a; --code-bg: #1f2937;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; display: flex; flex-direction: column; align-items: center;
  justify-content: center; padding: 24px 16px; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.brand { display: flex; align-items: center; gap: 8px; margin-bottom: 16px; color: var(--muted);
  font-size: 14px; font-weight: 600; letter-spacing: .01em; }
.brand svg { width: 20px; height: 20px; flex: none; }
main { width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--border);
  border-radius: 12px; padding: 32px; box-shadow: 0 1px 3px rgba(0,0,0,.06), 0 8px 24px rgba(0,0,0,.06); }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 8px; }
p { margin: 0 0 16px; }
.lead { color: var(--muted); margin-bottom: 24px; }
.lead strong, .ident strong { color: var(--text); }
label { display: block; font-weight: 600; font-size: 14px; margin-bottom: 6px; }
input[type=text], input[type=password] {
  display: block; width: 100%; padding: 10px 12px; margin-bottom: 18px; font: inherit; color: var(--text);
  background: var(--card); border: 1px solid var(--border); border-radius: 8px;
}
input:focus-visible, button:focus-visible, a:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px;
}
button {
  font: inherit; font-weight: 600; padding: 10px 18px; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--border); background: var(--card); color: var(--text); min-height: 44px;
}
button.primary { background: var(--primary); border-color: var(--primary); color: var(--primary-text); }
button.primary:hover { background: var(--primary-hover); border-color: var(--primary-hover); }
button.block { width: 100%; }
a.button { display: inline-block; text-align: center; text-decoration: none; font-weight: 600; padding: 10px 18px;
  border-radius: 8px; min-height: 44px; border: 1px solid var(--border); }
a.button.primary { background: var(--primary); border-color: var(--primary); color: var(--primary-text); }
a.button.primary:hover { background: var(--primary-hover); border-color: var(--primary-hover); }
a.button.block { display: block; width: 100%; }
.separator { text-align: center; font-size: 14px; color: var(--muted); margin: 8px 0 16px; }
.actions { display: flex; gap: 12px; margin-top: 24px; }
.actions button { flex: 1; }
.alert { padding: 12px 14px; margin-bottom: 20px; border-radius: 8px; border: 1px solid var(--danger-border);
  background: var(--danger-bg); color: var(--danger-text); font-size: 15px; }
.destination { padding: 14px 16px; margin-bottom: 20px; border-radius: 8px; border: 1px solid var(--note-border);
  background: var(--note-bg); }
.destination .label { display: block; font-size: 13px; color: var(--muted); }
.destination .host { display: block; font-size: 20px; font-weight: 700; word-break: break-all; }
.destination .hint { display: block; font-size: 13px; color: var(--muted); margin-top: 4px; }
h2 { font-size: 15px; margin: 0 0 8px; }
ul.scopes { list-style: none; margin: 0 0 20px; padding: 0; border: 1px solid var(--border); border-radius: 8px; }
ul.scopes li { padding: 10px 14px; border-top: 1px solid var(--border); }
ul.scopes li:first-child { border-top: 0; }
ul.scopes .name { display: block; font-size: 13px; color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
dl.details { margin: 0; font-size: 14px; color: var(--muted); }
dl.details dt { font-weight: 600; }
dl.details dd { margin: 0 0 8px; word-break: break-all; }
.ident { font-size: 14px; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px;
  background: var(--code-bg); padding: 2px 6px; border-radius: 4px; word-break: break-all; }
ul.apps { list-style: none; margin: 0; padding: 0; }
ul.apps li.app { padding: 16px 0; border-top: 1px solid var(--border); }
ul.apps li.app h2 { font-size: 17px; }
ul.apps li.app form { margin-top: 8px; }
footer { margin-top: 16px; font-size: 13px; color: var(--muted); text-align: center; }
@media (max-width: 480px) { main { padding: 24px 20px; } .actions { flex-direction: column-reverse; } }
`;

// Built outside the `html` template, so that formatting the template cannot change the hashed text.
const STYLE = new SafeHtml(`<style>${CSS}</style>`);

/** For the page's Content-Security-Policy: the only style allowed. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

const shield = html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
  <path
    fill="currentColor"
    d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3Zm-1 14.4-3.7-3.7 1.4-1.4 2.3 2.3 4.9-4.9 1.4 1.4-6.3 6.3Z"
  />
</svg>`;

/**
 * The frame every page shares. `site` is the authorization server's host, shown at the top so a
 * person can see where they are typing their password.
 */
export function layout(opts: { title: string; site: string; body: SafeHtml }): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex, nofollow" />
        <title>${opts.title} · ${opts.site}</title>
        ${STYLE}
      </head>
      <body>
        <div class="brand">${shield}<span>${opts.site}</span></div>
        <main aria-labelledby="page-title">${opts.body}</main>
        <footer>Authorization server at ${opts.site}</footer>
      </body>
    </html>`;
}
