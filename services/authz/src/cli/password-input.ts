import { UserError, validatePassword } from '../users.ts';

/*
 * Passwords for the operator tools come from a prompt that does not echo when run in a terminal,
 * else from the first line of stdin (scripts: `printf '%s\n' "$PW" | npm run admin -- users add
 * alice`), never from the command line, where other users of the machine could read it.
 */

export async function newPassword(prompt: string): Promise<string> {
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
