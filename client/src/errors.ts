/**
 * Errors the CLI reports as one line. Anything else that escapes a command is reported by its message
 * (see describeError), so these exist only where the CLI can say something more useful than the SDK.
 */

/** A failure with a reason meant for the user; exit status 1 unless said otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad command line: exit status 2, and the message is followed by a hint to read --help. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly helpCommand = 'mcp-auth --help',
  ) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export const notLoggedInMessage = (serverUrl: string): string =>
  `Not logged in to ${serverUrl} (or the session expired): run \`mcp-auth login ${serverUrl}\``;

/**
 * Raised by the provider when the SDK would have to start an interactive authorization from a command
 * that must not (tools, call, whoami): the user has to run `mcp-auth login` instead.
 */
export class NotLoggedInError extends CliError {
  constructor(readonly serverUrl: string) {
    super(notLoggedInMessage(serverUrl));
    this.name = 'NotLoggedInError';
  }
}

export const sessionExpiredMessage = (serverUrl: string): string =>
  `Session expired: run \`mcp-auth login ${serverUrl}\``;

/**
 * The authorization server refused the stored refresh token (invalid_grant: expired, revoked, or its grant
 * ended), so the stored tokens were dropped. `scope` is what the dropped tokens held, for logging in again.
 */
export class SessionExpiredError extends NotLoggedInError {
  constructor(
    serverUrl: string,
    readonly scope?: string,
  ) {
    super(serverUrl);
    this.message = sessionExpiredMessage(serverUrl);
    this.name = 'SessionExpiredError';
  }
}

/**
 * A refresh that failed for a reason other than the grant (the authorization server is down or answered
 * 5xx): the login is kept, and trying again later may work.
 */
export class RefreshFailedError extends CliError {
  constructor(serverUrl: string, reason: string) {
    super(`cannot refresh the access token for ${serverUrl}: ${reason}; your login is kept, try again later`);
    this.name = 'RefreshFailedError';
  }
}

/** The MCP server answered 403 insufficient_scope (RFC 6750 §3.1); it names the scopes it needs. */
export class InsufficientScopeError extends CliError {
  /** The scope to log in with: what the server asks for plus what the user already holds. */
  readonly suggestedScope: string | undefined;

  constructor(
    readonly serverUrl: string,
    readonly requiredScope: string | undefined,
    grantedScope: string | undefined,
  ) {
    const required = splitScope(requiredScope);
    const granted = splitScope(grantedScope);
    const missing = required.filter((s) => !granted.includes(s));
    const suggested = [...new Set([...granted, ...required])].join(' ') || undefined;
    const needs = required.length
      ? `it needs scope "${required.join(' ')}"${missing.length ? ` (missing: ${missing.join(' ')})` : ''}`
      : 'the server refused the scope of your token';
    super(
      `Insufficient scope for ${serverUrl}: ${needs}; run \`mcp-auth login ${serverUrl} --scope "${
        suggested ?? '<scopes>'
      }"\``,
    );
    this.name = 'InsufficientScopeError';
    this.suggestedScope = suggested;
  }
}

/** The redirect back from the authorization server was refused (RFC 6749 §4.1.2, RFC 9207). */
export class AuthorizationResponseError extends CliError {
  constructor(
    message: string,
    /** The OAuth `error` code when the server sent one (e.g. access_denied). */
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'AuthorizationResponseError';
  }
}

export const splitScope = (scope: string | undefined | null): string[] => [
  ...new Set((scope ?? '').split(' ').filter(Boolean)),
];
