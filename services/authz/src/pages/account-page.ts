import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface ConnectedApp {
  clientId: string;
  clientName: string;
  resource: string;
  /** The protected server's name from the policy, when it has one. */
  serverName?: string | undefined;
  scopes: readonly { name: string; description: string }[];
  grantedAt: Date;
  lastUsedAt: Date | null;
}

export interface AccountPageInput {
  site: string;
  username: string;
  /** Bound to the sign-in session: a form elsewhere cannot withdraw anything. */
  csrfToken: string;
  /** Absolute, like the sign-in form's: the page may be shown at more than one path. */
  withdrawUrl: string;
  apps: readonly ConnectedApp[];
  /** The app just withdrawn, named once after the redirect that follows the form. */
  withdrawn?: string | undefined;
}

// Written out in UTC, the same for every reader: the page has no script to localise it.
const when = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function appCard(p: AccountPageInput, app: ConnectedApp): SafeHtml {
  return html`<li class="app">
    <h2>${app.clientName}</h2>
    <ul class="scopes" aria-label="What ${app.clientName} can do">
      ${app.scopes.map((s) => html`<li>${s.description}<span class="name">${s.name}</span></li>`)}
    </ul>
    <dl class="details">
      <dt>MCP server</dt>
      <dd>${app.serverName ? html`${app.serverName} (${app.resource})` : app.resource}</dd>
      <dt>Allowed</dt>
      <dd>${when(app.grantedAt)}</dd>
      <dt>Last used</dt>
      <dd>${app.lastUsedAt ? when(app.lastUsedAt) : 'Not yet'}</dd>
    </dl>
    <form method="post" action="${p.withdrawUrl}">
      <input type="hidden" name="csrf_token" value="${p.csrfToken}" />
      <input type="hidden" name="client_id" value="${app.clientId}" />
      <input type="hidden" name="resource" value="${app.resource}" />
      <button type="submit" class="block" aria-label="Withdraw access for ${app.clientName}">
        Withdraw access
      </button>
    </form>
  </li>`;
}

/** `GET /oauth/account`: the apps a person has allowed, each with a button that withdraws it. */
export function accountPage(p: AccountPageInput): SafeHtml {
  const body = html`<h1 id="page-title">Connected apps</h1>
    <p class="ident">Signed in as <strong>${p.username}</strong> · <a href="logout">Sign out</a></p>
    ${
      p.withdrawn !== undefined &&
      html`<div class="destination" role="status">
        <span class="host">Access withdrawn</span>
        <span class="hint"
          >${p.withdrawn} can no longer use your account. It will have to ask you again.</span
        >
      </div>`
    }
    ${
      p.apps.length === 0
        ? html`<p class="lead">No app can use your account at the moment.</p>`
        : html`<p class="lead">
              These apps can use your account. Withdrawing access ends every sign-in the app holds, at once,
              and it will have to ask you again.
            </p>
            <ul class="apps">
              ${p.apps.map((app) => appCard(p, app))}
            </ul>`
    }`;
  return layout({ title: 'Connected apps', site: p.site, body });
}
