import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface ConsentPageInput {
  site: string;
  requestId: string;
  csrfToken: string;
  clientName: string;
  clientHost: string;
  /** Whether the name is the client's own claim (DCR, CIMD) rather than its id. */
  clientNamed: boolean;
  /** The redirect URI is on this computer (a native app's loopback listener, RFC 8252). */
  clientLocal: boolean;
  username: string;
  /** Someone else at this browser can sign in instead (the sign-in may be a remembered one). */
  switchAccountUrl: string;
  resource: string;
  /** The protected server's name from the policy: with several servers, which one this is. */
  serverName?: string | undefined;
  /** Each scope with what it lets the app do, in the operator's words (the policy). */
  scopes: readonly { name: string; description: string }[];
}

function hint(p: ConsentPageInput): string {
  const names = p.clientNamed ? 'Apps choose their own names. ' : '';
  return p.clientLocal
    ? `${names}This is an app on your own computer. Continue only if you started this sign-in yourself.`
    : `${names}Continue only if you trust this site and started this sign-in yourself.`;
}

export function consentPage(p: ConsentPageInput): SafeHtml {
  const body = html`<h1 id="page-title">Allow ${p.clientName} to access your account?</h1>
    <p class="ident">
      Signed in as <strong>${p.username}</strong> ·
      <a href="${p.switchAccountUrl}">Not you? Use another account</a>
    </p>
    <div class="destination">
      <span class="label">After you answer, you will be sent to</span>
      <span class="host">${p.clientHost}</span>
      <span class="hint">${hint(p)}</span>
    </div>
    <h2 id="scopes-title">${p.clientName} will be able to:</h2>
    <ul class="scopes" aria-labelledby="scopes-title">
      ${p.scopes.map((s) => html`<li>${s.description}<span class="name">${s.name}</span></li>`)}
    </ul>
    <dl class="details">
      <dt>MCP server</dt>
      <dd>${p.serverName ? html`${p.serverName} (${p.resource})` : p.resource}</dd>
    </dl>
    <form method="post" action="consent">
      <input type="hidden" name="request" value="${p.requestId}" />
      <input type="hidden" name="csrf_token" value="${p.csrfToken}" />
      <div class="actions">
        <button type="submit" name="decision" value="deny">Deny</button>
        <button type="submit" name="decision" value="approve" class="primary">Allow</button>
      </div>
    </form>`;
  return layout({ title: `Allow access to ${p.clientName}?`, site: p.site, body });
}
