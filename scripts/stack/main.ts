// `npm run stack`: the docker-compose topology as local processes against this machine's PostgreSQL
// and Redis, behind Debian's nginx. Ctrl-C (or SIGTERM) stops everything it started.
//
//   STACK_PORT          gateway port on 127.0.0.1 (default 8080)
//   STACK_DATABASE_URL  replaces the compose postgres (default postgresql://postgres@127.0.0.1:5432/mcp_auth_stack)
//   STACK_REDIS_URL     replaces the compose redis (default redis://127.0.0.1:6379)
//   STACK_DIR           keys and gateway files (default .data/stack, kept so tokens survive a restart)
// Compose's own variables (.env.example: LOG_LEVEL, JWT_ALG, token lifetimes, rate limits...) are
// read from the environment, as `docker compose` reads them.
import { styleText } from 'node:util';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, startStack } from './stack.ts';

const colours = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'] as const;
const names = new Map<string, (typeof colours)[number]>();
const prefix = (name: string) => {
  if (!names.has(name)) names.set(name, colours[names.size % colours.length]!);
  return styleText(names.get(name)!, `[${name}]`.padEnd(14));
};

const env = process.env;
const port = Number(env.STACK_PORT ?? 8080);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`STACK_PORT: not a port number: ${env.STACK_PORT}`);
  process.exit(2);
}
const databaseUrl = env.STACK_DATABASE_URL ?? DEFAULT_DATABASE_URL;

try {
  const stack = await startStack({
    port,
    databaseUrl,
    redisUrl: env.STACK_REDIS_URL ?? DEFAULT_REDIS_URL,
    dir: env.STACK_DIR ?? join(repoRoot, '.data', 'stack'),
    vars: env,
    onOutput: (name, line) => console.log(`${prefix(name)} ${line}`),
  });
  console.log(`
mcp-auth stack is running behind the gateway at ${stack.url}
  MCP server:   ${stack.mcpUrl}
  add a user:   DATABASE_URL=${databaseUrl} npm run user -- add <name>
  log in:       npm run client -- login ${stack.mcpUrl}
Ctrl-C stops it.
`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the stack`);
    const codes = await stack.stop();
    console.log(
      `stopped: ${Object.entries(codes)
        .map(([name, code]) => `${name} ${code ?? 'signal'}`)
        .join(', ')}`,
    );
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A service that dies on its own leaves a broken topology: stop everything and say which.
  for (const [name, s] of Object.entries(stack.services)) {
    void s.process.exited.then(async (code) => {
      if (stopping) return;
      console.error(`${name} exited unexpectedly (exit ${code}); stopping the stack`);
      stopping = true;
      await stack.stop();
      process.exit(1);
    });
  }
} catch (err) {
  console.error(`stack: ${(err as Error).message}`);
  process.exit(1);
}
