import { parseArgs } from 'node:util';
import { ConfigError, OAuthError } from '@mcp-auth/core';
import { queryAudit } from '../admin/audit-query.ts';
import { deleteClient, listClients, showClient, type ClientView } from '../admin/clients.ts';
import type { AdminActor, AdminDeps } from '../admin/deps.ts';
import { listGrantsOf, revokeGrants } from '../admin/grants.ts';
import {
  addUser,
  deleteUser,
  disableUser,
  enableUser,
  listUsers,
  resetPassword,
  signOutUser,
  type UserView,
} from '../admin/users.ts';
import type { Grant } from '../grants/grants.ts';
import type { SignOutResult } from '../revocation/sign-out.ts';
import { UserError } from '../users.ts';
import { connectForCli, operatorName } from './connect.ts';
import { newPassword } from './password-input.ts';

/**
 * `npm run admin -- <noun> <verb> [argument] [options]`: the operator's CLI, a thin face over the
 * admin service layer (admin/), like the admin API. Every command takes `--json`, which prints the
 * service layer's result as JSON on stdout (errors as `{ error, error_description }` on stderr).
 */

const USAGE = `usage: npm run admin -- <noun> <verb> [argument] [options]     (in the image: node dist/admin.js …)

users list                          every user, with when they were disabled
users add <username>                create a user (password from a prompt, or stdin's first line)
users disable <username>            refuse their sign-in and revoke everything they hold
users enable <username>             allow their sign-in again
users delete <username>             revoke everything they hold, then delete them
users passwd <username>             set a new password, and sign them out everywhere
users signout <username>            sign them out everywhere (grants, codes, sessions, access tokens)
clients list                        every client, most recently used first
clients show <client_id>            a client's metadata and grants
clients delete <client_id>          revoke every token the client holds, then delete it
grants list --user U --client C     grants of a user, a client, or both (--resource R narrows)
grants revoke --user U --client C   withdraw them: remembered consent, codes, tokens
audit list [--type T] [--user U] [--client C] [--outcome success|failure]
           [--since ISO-DATE] [--until ISO-DATE] [--limit N (default 100, max 1000)]

Every command: --json prints the result as JSON. Exit codes: 0 done, 1 failed (database, Redis),
2 usage or invalid input, 3 not found, 4 conflict (already exists).
Environment: DATABASE_URL (npm run admin falls back to the all-in-one database in DATA_DIR);
REDIS_URL, REDIS_KEY_PREFIX and ACCESS_TOKEN_TTL as the authorization server has them, so that
revocations reach the servers. Every command is recorded in the audit log as admin:cli:<os user>.`;

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, conflict: 4 } as const;

class UsageError extends Error {}

interface Options {
  json?: boolean;
  user?: string;
  client?: string;
  resource?: string;
  type?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: string;
}

type Run = (deps: AdminDeps, who: AdminActor, arg: string | undefined, opts: Options) => Promise<Output>;
/** The JSON result, and the lines a person reads. */
interface Output {
  json: unknown;
  text: string[];
}

const need = (arg: string | undefined, what: string) => {
  if (!arg) throw new UsageError(`missing ${what}`);
  return arg;
};
const date = (d: Date | null) => (d ? d.toISOString() : '-');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const signedOut = (r: SignOutResult) =>
  `${plural(r.grants, 'grant')} revoked, ${plural(r.codes, 'unredeemed code')} and ` +
  `${plural(r.sessions, 'remembered sign-in')} ended; earlier access tokens refused`;
const userLine = (u: UserView) =>
  `${u.username}  ${u.id}  created ${date(u.createdAt)}${u.disabledAt ? `  DISABLED ${date(u.disabledAt)}` : ''}`;
const clientLine = (c: ClientView) =>
  `${c.id}  ${c.name ?? '(no name)'}  ${c.kind}  last used ${date(c.lastUsedAt)}`;
const grantLine = (g: Grant) =>
  `${g.username}  ${g.clientId} (${g.clientName ?? 'no name'})  ${g.resource}  [${g.scopes.join(' ')}]  ` +
  `granted ${date(g.grantedAt)}  last used ${date(g.lastUsedAt)}  ${plural(g.activeFamilies, 'live token family')}`;
const grantSelector = (opts: Options) => ({
  username: opts.user,
  clientId: opts.client,
  resource: opts.resource,
});

const COMMANDS: Record<string, Record<string, Run>> = {
  users: {
    list: async (deps, who) => {
      const users = await listUsers(deps, who);
      return { json: { users }, text: users.length ? users.map(userLine) : ['no users'] };
    },
    add: async (deps, who, arg) => {
      const username = need(arg, 'username');
      const user = await addUser(
        deps,
        who,
        username,
        await newPassword(`Password for new user ${username}: `),
      );
      return { json: { user }, text: [`created user ${user.username}`] };
    },
    disable: async (deps, who, arg) => {
      const r = await disableUser(deps, who, need(arg, 'username'));
      return { json: r, text: [`disabled ${r.user.username}: ${signedOut(r.signedOut)}`] };
    },
    enable: async (deps, who, arg) => {
      const user = await enableUser(deps, who, need(arg, 'username'));
      return { json: { user }, text: [`enabled ${user.username}`] };
    },
    delete: async (deps, who, arg) => {
      const r = await deleteUser(deps, who, need(arg, 'username'));
      return { json: r, text: [`deleted ${r.user.username}: ${signedOut(r.signedOut)}`] };
    },
    passwd: async (deps, who, arg) => {
      const username = need(arg, 'username');
      const r = await resetPassword(deps, who, username, await newPassword(`New password for ${username}: `));
      return { json: r, text: [`password changed for ${username}; ${signedOut(r.signedOut)}`] };
    },
    signout: async (deps, who, arg) => {
      const r = await signOutUser(deps, who, need(arg, 'username'));
      return { json: r, text: [`${r.user.username} signed out everywhere: ${signedOut(r.signedOut)}`] };
    },
  },
  clients: {
    list: async (deps, who) => {
      const clients = await listClients(deps, who);
      return { json: { clients }, text: clients.length ? clients.map(clientLine) : ['no clients'] };
    },
    show: async (deps, who, arg) => {
      const client = await showClient(deps, who, need(arg, 'client_id'));
      return {
        json: { client },
        text: [
          clientLine(client),
          `  auth: ${client.tokenEndpointAuthMethod}  grant types: ${client.grantTypes.join(' ')}`,
          `  redirect URIs: ${client.redirectUris.join(' ') || '-'}`,
          `  registered ${date(client.createdAt)}  scope: ${client.scope ?? '-'}`,
          ...(client.grants.length ? client.grants.map((g) => `  grant: ${grantLine(g)}`) : ['  no grants']),
        ],
      };
    },
    delete: async (deps, who, arg) => {
      const r = await deleteClient(deps, who, need(arg, 'client_id'));
      return { json: r, text: [`deleted client ${r.client.id}; every token it held is revoked`] };
    },
  },
  grants: {
    list: async (deps, who, _arg, opts) => {
      const grants = await listGrantsOf(deps, who, grantSelector(opts));
      return { json: { grants }, text: grants.length ? grants.map(grantLine) : ['no grants'] };
    },
    revoke: async (deps, who, _arg, opts) => {
      const r = await revokeGrants(deps, who, grantSelector(opts));
      return {
        json: r,
        text: [
          `withdrew ${plural(r.grants, 'grant')}: ${plural(r.consents, 'remembered consent')}, ` +
            `${plural(r.families, 'token family')} revoked, ${plural(r.codes, 'unredeemed code')} removed`,
        ],
      };
    },
  },
  audit: {
    list: async (deps, who, _arg, opts) => {
      const { json: _json, ...filters } = opts;
      const events = await queryAudit(deps, who, filters as never);
      return {
        json: { events },
        text: events.length
          ? events.map(
              (e) =>
                `${e.at.toISOString()}  ${e.type}  ${e.outcome}  actor=${e.actor ?? '-'}  address=${e.address ?? '-'}  ` +
                `user=${e.userId ?? '-'}  client=${e.clientId ?? '-'}  ${e.detail ? JSON.stringify(e.detail) : ''}`,
            )
          : ['no events'],
      };
    },
  },
};

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  user: { type: 'string' },
  client: { type: 'string' },
  resource: { type: 'string' },
  type: { type: 'string' },
  outcome: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** Which options each noun takes: anything else is a usage error, not silently ignored. */
const ALLOWED: Record<string, readonly string[]> = {
  users: [],
  clients: [],
  grants: ['user', 'client', 'resource'],
  audit: ['type', 'user', 'client', 'outcome', 'since', 'until', 'limit'],
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [noun, verb, arg, ...extra] = positionals;
  if (values.help || noun === 'help' || positionals.length === 0) {
    (values.help || noun === 'help' ? console.log : console.error)(USAGE);
    return values.help || noun === 'help' ? EXIT.ok : EXIT.usage;
  }
  const run = noun && verb ? COMMANDS[noun]?.[verb] : undefined;
  const json = values.json === true;
  try {
    if (!run) throw new UsageError(`unknown command: ${positionals.slice(0, 2).join(' ')}`);
    if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra.join(' ')}`);
    const stray = Object.keys(values).filter((k) => !['json', 'help', ...ALLOWED[noun!]!].includes(k));
    if (stray.length > 0) throw new UsageError(`${noun} ${verb} takes no --${stray.join(', --')}`);
  } catch (err) {
    return fail(err, json);
  }
  const { deps, close } = connectForCli();
  try {
    const output = await run(deps, { actor: `admin:cli:${operatorName()}` }, arg, values);
    console.log(json ? JSON.stringify(output.json, null, 2) : output.text.join('\n'));
    return EXIT.ok;
  } catch (err) {
    return fail(err, json);
  } finally {
    await close().catch(() => undefined);
  }
}

/** Prints the error (as JSON with --json) and returns the exit code that says what kind it was. */
function fail(err: unknown, json: boolean): number {
  let error = 'server_error';
  let description: string;
  let code: number = EXIT.failed;
  if (err instanceof UsageError) {
    [error, description, code] = ['usage', `${err.message} (npm run admin -- --help)`, EXIT.usage];
  } else if (err instanceof OAuthError) {
    error = err.error;
    description = err.description;
    code =
      err.status === 404
        ? EXIT.notFound
        : err.status === 409
          ? EXIT.conflict
          : err.status < 500
            ? EXIT.usage
            : EXIT.failed;
  } else if (err instanceof UserError || err instanceof ConfigError) {
    [error, description, code] = ['invalid_request', err.message, EXIT.usage];
  } else if (err instanceof Error && err.name === 'ZodError') {
    const issue = (err as Error & { issues: { path: PropertyKey[]; message: string }[] }).issues[0];
    [error, description, code] = [
      'invalid_request',
      `--${issue?.path.join('.')}: ${issue?.message}`,
      EXIT.usage,
    ];
  } else {
    // A database or Redis that cannot be reached or refuses us: the last line of the message says why.
    description = err instanceof Error ? (err.message.trim().split('\n').pop() ?? err.name) : String(err);
  }
  console.error(json ? JSON.stringify({ error, error_description: description }) : `error: ${description}`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(fail(err, process.argv.includes('--json'))),
);
