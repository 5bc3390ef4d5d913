import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export interface LogoutPageInput {
  site: string;
  /** Who is signed in; absent when no one is (then there is nothing to confirm). */
  username?: string;
  csrfToken?: string;
  /** The answer to the confirmed sign-out. */
  done?: boolean;
}

/**
 * `GET /oauth/logout` asks before signing out (a link or an image elsewhere must not sign a person
 * out), and the POST answers with the same page saying it is done.
 */
export function logoutPage(p: LogoutPageInput): SafeHtml {
  if (p.done || p.username === undefined || p.csrfToken === undefined) {
    const title = p.done ? 'You are signed out' : 'You are not signed in';
    const body = html`<h1 id="page-title">${title}</h1>
      <p class="lead">The next app that asks to use your account here will ask you to sign in again.</p>`;
    return layout({ title, site: p.site, body });
  }
  const body = html`<h1 id="page-title">Sign out?</h1>
    <p class="ident">Signed in as <strong>${p.username}</strong></p>
    <p class="lead">
      Apps will have to ask you to sign in again. Access you have already given them stays until it expires or
      you withdraw it on the connected apps page.
    </p>
    <form method="post" action="logout">
      <input type="hidden" name="csrf_token" value="${p.csrfToken}" />
      <button type="submit" class="primary block">Sign out</button>
    </form>`;
  return layout({ title: 'Sign out', site: p.site, body });
}
