import { invalidRequest, type User } from '@mcp-auth/core';
import { signOutEverywhere, type SignOutResult } from '../revocation/sign-out.ts';
import { createUser, setPassword, UserError, USERNAME_PATTERN } from '../users.ts';
import { audited } from './audited.ts';
import type { AdminActor, AdminDeps } from './deps.ts';
import { conflict, notFound } from './errors.ts';

/** A user as the admin surface shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  createdAt: Date;
  disabledAt: Date | null;
}

const view = (u: User): UserView => ({
  id: u.id,
  username: u.username,
  createdAt: u.createdAt,
  disabledAt: u.disabledAt,
});

/** users.ts's messages are written for people: they become invalid_request as they are. */
async function asInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UserError) throw invalidRequest(err.message);
    throw err;
  }
}

async function findByName(deps: AdminDeps, username: string): Promise<User> {
  if (!USERNAME_PATTERN.test(username)) throw invalidRequest('not a valid username');
  const user = await deps.prisma.user.findUnique({ where: { username } });
  if (!user) throw notFound(`user ${username} does not exist`);
  return user;
}

/**
 * signOutEverywhere, recorded as `user.signed_out` for the person concerned (beside the operator's
 * `admin.action`), so a user's own history shows when and why they were signed out.
 */
async function signOut(deps: AdminDeps, who: AdminActor, user: User, reason: string): Promise<SignOutResult> {
  const result = await signOutEverywhere(deps, user.id);
  deps.audit.record({
    type: 'user.signed_out',
    outcome: 'success',
    actor: who.actor,
    address: who.address,
    userId: user.id,
    detail: { reason, ...result },
  });
  return result;
}

export async function listUsers(deps: AdminDeps, who: AdminActor): Promise<UserView[]> {
  return audited(
    deps,
    who,
    'users.list',
    {},
    async () => (await deps.prisma.user.findMany({ orderBy: { username: 'asc' } })).map(view),
    (users) => ({ count: users.length }),
  );
}

export async function addUser(
  deps: AdminDeps,
  who: AdminActor,
  username: string,
  password: string,
): Promise<UserView> {
  return audited(deps, who, 'users.add', { detail: { username } }, async (target) => {
    if (await deps.prisma.user.findUnique({ where: { username } })) {
      throw conflict(`user ${username} already exists`);
    }
    const user = await asInput(() => createUser(deps.prisma, username, password));
    target.userId = user.id;
    return view(user);
  });
}

export interface SignedOutUser {
  user: UserView;
  signedOut: SignOutResult;
}

/**
 * Disables a user: they can no longer sign in (the login page answers as for a wrong password)
 * and everything they held is revoked, as a sign-out everywhere does. Disabling twice is harmless
 * and revokes again.
 */
export async function disableUser(
  deps: AdminDeps,
  who: AdminActor,
  username: string,
): Promise<SignedOutUser> {
  return audited(
    deps,
    who,
    'users.disable',
    { detail: { username } },
    async (target) => {
      const found = await findByName(deps, username);
      target.userId = found.id;
      // First, so that no login started from now on succeeds; then what they already hold.
      const user = await deps.prisma.user.update({
        where: { id: found.id },
        data: { disabledAt: found.disabledAt ?? new Date() },
      });
      return { user: view(user), signedOut: await signOut(deps, who, user, 'disabled') };
    },
    (r) => ({ ...r.signedOut }),
  );
}

export async function enableUser(deps: AdminDeps, who: AdminActor, username: string): Promise<UserView> {
  return audited(deps, who, 'users.enable', { detail: { username } }, async (target) => {
    const found = await findByName(deps, username);
    target.userId = found.id;
    return view(await deps.prisma.user.update({ where: { id: found.id }, data: { disabledAt: null } }));
  });
}

/**
 * Deletes a user after revoking everything they hold: the per-user revocation entry refuses their
 * access tokens until the last one expires, which the database cascade alone would not do.
 */
export async function deleteUser(deps: AdminDeps, who: AdminActor, username: string): Promise<SignedOutUser> {
  return audited(
    deps,
    who,
    'users.delete',
    { detail: { username } },
    async (target) => {
      const found = await findByName(deps, username);
      target.userId = found.id;
      const signedOut = await signOut(deps, who, found, 'deleted');
      await deps.prisma.user.deleteMany({ where: { id: found.id } });
      return { user: view(found), signedOut };
    },
    (r) => ({ ...r.signedOut }),
  );
}

/** A new password, and a sign-out everywhere: a reset is usually the answer to a stolen one. */
export async function resetPassword(
  deps: AdminDeps,
  who: AdminActor,
  username: string,
  password: string,
): Promise<SignedOutUser> {
  return audited(
    deps,
    who,
    'users.reset_password',
    { detail: { username } },
    async (target) => {
      const found = await findByName(deps, username);
      target.userId = found.id;
      const user = await asInput(() => setPassword(deps.prisma, username, password));
      return { user: view(user), signedOut: await signOut(deps, who, user, 'password_reset') };
    },
    (r) => ({ ...r.signedOut }),
  );
}

export async function signOutUser(
  deps: AdminDeps,
  who: AdminActor,
  username: string,
): Promise<SignedOutUser> {
  return audited(
    deps,
    who,
    'users.sign_out',
    { detail: { username } },
    async (target) => {
      const found = await findByName(deps, username);
      target.userId = found.id;
      return { user: view(found), signedOut: await signOut(deps, who, found, 'operator') };
    },
    (r) => ({ ...r.signedOut }),
  );
}
