import { OAuthError, type User } from '@mcp-auth/core';
import type { AuthzContext } from '../deps.ts';
import { authenticate } from './authenticate.ts';
import type { LoginThrottle } from './login-throttle.ts';

const INCORRECT = 'Incorrect username or password.';

export type PasswordOutcome =
  | { user: User; retryAfter?: undefined; error?: undefined }
  | { user?: undefined; retryAfter: number; error: string }
  | { user?: undefined; retryAfter?: undefined; error: string };

/**
 * A password typed into one of our sign-in forms (an authorization's login page, the connected-apps
 * page): throttled, checked, logged and audited in one place, so every form guards the same way.
 */
export async function checkPassword(
  deps: Pick<AuthzContext, 'prisma' | 'logger' | 'audit' | 'config'>,
  throttle: LoginThrottle,
  attempt: {
    address: string;
    username: string | undefined;
    password: string | undefined;
    clientId?: string;
    /** The user named `username`, already being read (see authenticate). */
    found?: Promise<User | null>;
  },
): Promise<PasswordOutcome> {
  if (!deps.config.passwordLogin) {
    throw new OAuthError('access_denied', 'Signing in with a password is switched off here.', 403);
  }
  const { address, clientId } = attempt;
  const username = attempt.username ?? '';
  const admission = await throttle.admit(address, username);
  if (admission.retryAfter !== undefined) {
    const wait = admission.retryAfter;
    deps.logger.warn({ clientId, address }, 'login throttled');
    deps.audit.record({
      type: 'login.failed',
      outcome: 'failure',
      address,
      clientId,
      detail: { method: 'password', username, reason: 'throttled' },
    });
    const minutes = Math.ceil(wait / 60);
    const error = `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    return { retryAfter: wait, error };
  }
  const result = await authenticate(
    deps.prisma,
    deps.logger,
    attempt.username,
    attempt.password,
    attempt.found,
  ).catch(async (err: unknown) => {
    await admission.attempt.finish('abandoned');
    throw err;
  });
  const { user } = result;
  await admission.attempt.finish(user ? 'success' : 'failure');
  if (!user) {
    deps.logger.info({ clientId, address }, 'login failed');
    deps.audit.record({
      type: 'login.failed',
      outcome: 'failure',
      address,
      clientId,
      userId: result.userId,
      detail: { method: 'password', username, reason: result.reason },
    });
    return { error: INCORRECT };
  }
  deps.logger.info({ userId: user.id, clientId }, 'login succeeded');
  deps.audit.record({
    type: 'login.succeeded',
    outcome: 'success',
    actor: `user:${user.id}`,
    userId: user.id,
    address,
    clientId,
    detail: { method: 'password', username: user.username },
  });
  return { user };
}
