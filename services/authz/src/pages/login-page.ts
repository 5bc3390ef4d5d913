import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface LoginPageInput {
  /** The authorization server's host, shown in the frame. */
  site: string;
  /** The authorization request; absent for a sign-in of its own (the connected-apps page). */
  requestId?: string;
  csrfToken: string;
  /** What the sign-in leads to: an app (its name and redirect host), or a page of ours. */
  continueTo: { clientName: string; clientHost: string } | { page: string };
  /** Where the form posts (default `login`, relative to the login page under /oauth/). */
  action?: string;
  /** PASSWORD_LOGIN: false shows only the upstream provider's button. */
  passwordForm?: boolean;
  /** The upstream identity provider: "Continue with <name>", a link to start signing in there. */
  upstream?: { name: string; url: string } | undefined;
  /** Kept after a failed attempt so only the password must be typed again. */
  username?: string;
  error?: string;
}

export function loginPage(p: LoginPageInput): SafeHtml {
  const body = html`<h1 id="page-title">Sign in</h1>
    <p class="lead">
      ${
        'page' in p.continueTo
          ? html`to see <strong>${p.continueTo.page}</strong>`
          : html`to continue to <strong>${p.continueTo.clientName}</strong> at
              <strong>${p.continueTo.clientHost}</strong>`
      }
    </p>
    ${p.error && html`<div class="alert" role="alert" id="login-error">${p.error}</div>`}
    ${
      p.upstream &&
      html`<p>
        <a class="button primary block" href="${p.upstream.url}">Continue with ${p.upstream.name}</a>
      </p>`
    }
    ${p.upstream && p.passwordForm !== false && html`<p class="separator">or sign in with a password</p>`}
    ${
      p.passwordForm !== false &&
      html` <form method="post" action="${p.action ?? 'login'}">
        ${p.requestId !== undefined && html`<input type="hidden" name="request" value="${p.requestId}" />`}
        <input type="hidden" name="csrf_token" value="${p.csrfToken}" />
        <label for="username">Username</label>
        <input
          type="text"
          id="username"
          name="username"
          value="${p.username ?? ''}"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          maxlength="64"
          ${p.error && html` aria-describedby="login-error"`}${!p.username && html` autofocus`}
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required${!!p.username && html` autofocus`}
        />
        <button type="submit" class="${p.upstream ? 'block' : 'primary block'}">Sign in</button>
      </form>`
    }`;
  return layout({ title: 'Sign in', site: p.site, body });
}
