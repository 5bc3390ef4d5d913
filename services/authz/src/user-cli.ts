import {
  ConfigError,
  createPrisma,
  createRedis,
  loadConfig,
  postgresUrl,
  PostgresRevocationStore,
  RedisRevocationStore,
  redisUrl,
  seconds,
  type RevocationStore,
} from '@mcp-auth/core';
import { z } from 'zod';
import { signOutEverywhere, type SignOutResult } from './revocation/sign-out.ts';
import { createUser, findUser, setPassword, UserError, validatePassword, validateUsername } from './users.ts';

/**
 * `npm run user -- add <name>`, `passwd <name>` and `signout <name>`. The password comes from a
 * prompt that does not echo when run in a terminal, else from the first line of stdin (scripts:
 * `printf '%s\n' "$PW" | npm run user -- add alice`), never from the command line, where other
 * users of the machine could read it.
 */

const USAGE = `usage: npm run user -- add <username>      create a user
       npm run user -- passwd <username>   set a new password, and sign the user out everywhere
       npm run user -- signout <username>  sign the user out everywhere
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
  const env = loadConfig({
    DATABASE_URL: postgresUrl,
    // For `passwd` and `signout`: where the revocation set lives (as the authorization server is configured;
    // without Redis, as in the all-in-one mode, Postgres alone).
    REDIS_URL: redisUrl.optional(),
    REDIS_KEY_PREFIX: z.string().min(1).default('mcp-auth:'),
    ACCESS_TOKEN_TTL: seconds(900),
  });
  // Nothing connects before the first query, so a password is asked for before any connection.
  const prisma = createPrisma(env.DATABASE_URL, { max: 1 });
  const redis = env.REDIS_URL ? createRedis(env.REDIS_URL) : undefined;
  const signOut = async (userId: string) => {
    await redis?.connect();
    const revocation: RevocationStore = redis
      ? new RedisRevocationStore(redis, prisma, env.REDIS_KEY_PREFIX)
      : new PostgresRevocationStore(prisma);
    return signOutEverywhere(
      { prisma, revocation, config: { accessTokenTtl: env.ACCESS_TOKEN_TTL } },
      userId,
    );
  };
  try {
    if (command === 'add') {
      await createUser(prisma, username, await newPassword(`Password for new user ${username}: `));
      console.log(`created user ${username}`);
    } else if (command === 'passwd') {
      const password = await newPassword(`New password for ${username}: `);
      const user = await setPassword(prisma, username, password);
      // A new password is often the answer to a stolen one: the old sessions end too.
      console.log(`password changed for ${username}; ${describe(await signOut(user.id))}`);
    } else {
      const user = await findUser(prisma, username);
      console.log(`${username}: ${describe(await signOut(user.id))}`);
    }
  } finally {
    redis?.disconnect();
    await prisma.$disconnect();
  }
  return 0;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const describe = (r: SignOutResult) =>
  `signed out everywhere (${plural(r.grants, 'grant')}, ${plural(r.codes, 'unredeemed code')}, ` +
  `${plural(r.sessions, 'remembered sign-in')} and pending authorization requests ended; ` +
  'earlier access tokens refused)';

async function newPassword(prompt: string): Promise<string> {
  const password = await readPassword(prompt);
  validatePassword(password);
  return password;
}

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = (await readAll(process.stdin)).split('\n')[0]?.replace(/\r$/, '') ?? '';
    if (line === '') throw new UserError('no password on stdin (give it as the first line)');
    return line;
  }
  const password = await promptHidden(prompt);
  validatePassword(password);
  if ((await promptHidden('Repeat the password: ')) !== password) {
    throw new UserError('the passwords do not match');
  }
  return password;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** Reads one line from the terminal in raw mode, printing nothing of what is typed. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (result: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new UserError('cancelled')));
        if (ch === '\u0004') {
          if (value === '') return finish(() => reject(new UserError('cancelled')));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setEncoding('utf8');
    // Raw mode before the prompt, so nothing typed right after it is echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.on('data', onData);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UserError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
    } else {
      // A database that cannot be reached or refuses us: the last line of the message says why.
      const message = err instanceof Error ? err.message.trim().split('\n').pop() : String(err);
      console.error(`error: ${message}`);
    }
    process.exit(1);
  },
);
