import { ConfigError, OAuthError } from '@mcp-auth/core';
import { addUser, resetPassword, signOutUser } from './admin/users.ts';
import { connectForCli, operatorName } from './cli/connect.ts';
import { newPassword } from './cli/password-input.ts';
import type { SignOutResult } from './revocation/sign-out.ts';
import { UserError, validateUsername } from './users.ts';

/**
 * `npm run user -- add <name>`, `passwd <name>` and `signout <name>`: the first operator commands,
 * kept as they were; they are `npm run admin -- users add|passwd|signout` (admin/cli.ts) through the
 * same admin service layer, audited alike. Passwords: see cli/password-input.ts.
 */

const USAGE = `usage: npm run user -- add <username>      create a user
       npm run user -- passwd <username>   set a new password, and sign the user out everywhere
       npm run user -- signout <username>  sign the user out everywhere
(the same as npm run admin -- users add|passwd|signout; see npm run admin -- --help)
The password is read from a prompt, or from the first line of stdin when it is not a terminal.
Needs DATABASE_URL (npm run user falls back to the all-in-one database in DATA_DIR, default .data).
Signing out refuses every access token issued to the user so far and ends their grants, codes and
pending authorization requests: set REDIS_URL (and REDIS_KEY_PREFIX, ACCESS_TOKEN_TTL) as the
authorization server has them, if the servers use Redis.`;

const COMMANDS = ['add', 'passwd', 'signout'] as const;
type Command = (typeof COMMANDS)[number];
const isCommand = (c: string | undefined): c is Command => COMMANDS.includes(c as Command);

const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!isCommand(command) || !username || rest.length > 0) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  validateUsername(username);
  // Nothing connects before the first query, so a password is asked for before any connection.
  const { deps, close } = connectForCli();
  const who = { actor: `admin:cli:${operatorName()}` };
  try {
    if (command === 'add') {
      const password = await newPassword(`Password for new user ${username}: `);
      await addUser(deps, who, username, password);
      console.log(`created user ${username}`);
    } else if (command === 'passwd') {
      const password = await newPassword(`New password for ${username}: `);
      // A new password is often the answer to a stolen one: the old sessions end too.
      const { signedOut } = await resetPassword(deps, who, username, password);
      console.log(`password changed for ${username}; ${describe(signedOut)}`);
    } else {
      const { signedOut } = await signOutUser(deps, who, username);
      console.log(`${username}: ${describe(signedOut)}`);
    }
  } finally {
    await close();
  }
  return 0;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const describe = (r: SignOutResult) =>
  `signed out everywhere (${plural(r.grants, 'grant')}, ${plural(r.codes, 'unredeemed code')}, ` +
  `${plural(r.sessions, 'remembered sign-in')} and pending authorization requests ended; ` +
  'earlier access tokens refused)';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UserError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
    } else if (err instanceof OAuthError) {
      console.error(`error: ${err.description}`);
    } else {
      // A database that cannot be reached or refuses us: the last line of the message says why.
      const message = err instanceof Error ? err.message.trim().split('\n').pop() : String(err);
      console.error(`error: ${message}`);
    }
    process.exit(1);
  },
);
