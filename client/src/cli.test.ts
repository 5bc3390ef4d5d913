import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore } from './store.ts';

const BIN = fileURLToPath(new URL('../bin/mcp-auth.js', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let configDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real binary, as a user would. */
const mcpAuth = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, MCP_AUTH_CONFIG_DIR: configDir, MCP_AUTH_DEBUG: '', BROWSER: 'false' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });

const lines = (text: string) => text.split('\n').filter(Boolean);

/** The binary with its own environment (another credentials folder). */
const mcpAuthIn = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });

/** A throwaway HTTP server standing in for an MCP endpoint that answers every request the same way. */
async function answering(
  status: number,
  headers: Record<string, string>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"error":"x"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, server };
}

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'mcp-auth-cli-'));
});
afterAll(async () => {
  await rm(configDir, { recursive: true, force: true });
});

// Each case starts the real binary (Node + tsx), which takes about a second on a loaded machine.
describe('mcp-auth command line', { timeout: 60_000 }, () => {
  it('prints the top-level help with every public command, and not the conformance driver', async () => {
    const run = await mcpAuth('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: mcp-auth <command>/);
    for (const command of ['login', 'logout', 'status', 'tools', 'call', 'whoami']) {
      expect(run.stdout).toContain(`  ${command} `);
    }
    expect(run.stdout).not.toContain('conformance');
    expect(run.stderr).toBe('');
  });

  it('prints its version', async () => {
    const run = await mcpAuth('--version');
    expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each(['login', 'logout', 'tools', 'call', 'whoami', 'conformance'])(
    'prints the help of %s',
    async (command) => {
      for (const run of await Promise.all([mcpAuth(command, '--help'), mcpAuth(command, '-h')])) {
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`^Usage: mcp-auth ${command} <mcp-url>`));
      }
    },
  );

  it('prints the help of status, whose server URL is optional', async () => {
    const run = await mcpAuth('status', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: mcp-auth status \[mcp-url\]/);
  });

  it('rejects an unknown command with one line and exit status 2', async () => {
    const run = await mcpAuth('frobnicate');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual(['mcp-auth: unknown command "frobnicate" (see `mcp-auth --help`)']);
  });

  it('shows usage on stderr with exit status 2 when no command is given', async () => {
    const run = await mcpAuth();
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Usage: mcp-auth/);
  });

  it('rejects an unknown option, pointing at the command help', async () => {
    const run = await mcpAuth('login', 'http://localhost:8080/mcp', '--bogus');
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual(['mcp-auth: unknown option --bogus (see `mcp-auth login --help`)']);
  });

  it('rejects missing and extra arguments, a bad URL and bad values', async () => {
    const cases: [string[], RegExp][] = [
      [['tools'], /missing <mcp-url>/],
      [['call', 'http://localhost:8080/mcp'], /missing <tool>/],
      [['whoami', 'http://localhost:8080/mcp', 'extra'], /unexpected argument "extra"/],
      [['tools', 'localhost:8080'], /must be http or https/],
      [['call', 'http://localhost:8080/mcp', 'echo', '{not json'], /json-args is not valid JSON/],
      [['call', 'http://localhost:8080/mcp', 'echo', '[1,2]'], /json-args must be a JSON object/],
      [['login', 'http://localhost:8080/mcp', '--timeout', '0'], /--timeout needs a number of seconds/],
      [['logout'], /missing <mcp-url>/],
      [['logout', 'http://localhost:8080/mcp', 'extra'], /unexpected argument "extra"/],
      [['logout', 'ftp://localhost/mcp'], /must be http or https/],
      [['logout', 'http://localhost:8080/mcp', '--forget=yes'], /--forget/],
      [['status', 'http://localhost:8080/mcp', 'extra'], /unexpected argument "extra"/],
      [['status', 'not a url'], /not a URL/],
      [['status', '--forget'], /unknown option --forget/],
      [
        ['login', 'http://localhost:8080/mcp', '--client-metadata-url', 'http://x.test/c.json'],
        /must be an https URL/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => mcpAuth(...args)));
    for (const [i, [args, reason]] of cases.entries()) {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(2);
      expect(lines(run.stderr), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).toContain(`mcp-auth ${args[0]} --help`);
    }
  });

  it('says when nothing is stored, for status and logout', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mcp-auth-empty-'));
    try {
      const env = { MCP_AUTH_CONFIG_DIR: empty };
      const status = await mcpAuthIn(env, 'status');
      expect(status).toEqual({ code: 0, stdout: `No stored credentials (in ${empty}).\n`, stderr: '' });
      const json = await mcpAuthIn(env, 'status', '--json');
      expect(JSON.parse(json.stdout)).toEqual({ servers: [] });
      const logout = await mcpAuthIn(env, 'logout', 'http://localhost:8080/mcp');
      expect(logout).toEqual({
        code: 0,
        stdout: 'Not logged in to http://localhost:8080/mcp.\n',
        stderr: '',
      });
      expect(await readdir(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('deletes the tokens on logout when the server cannot be reached, warns, and exits 1', async () => {
    const { url, server } = await answering(200, {});
    await new Promise((resolve) => server.close(resolve));
    const origin = new URL(url).origin;
    const store = new CredentialStore(configDir);
    await store.update(url, () => ({
      clientInformation: { client_id: 'c' },
      tokens: { access_token: 'at', token_type: 'Bearer', refresh_token: 'rt' },
      discoveryState: {
        authorizationServerUrl: origin,
        authorizationServerMetadata: {
          issuer: origin,
          authorization_endpoint: `${origin}/oauth/authorize`,
          token_endpoint: `${origin}/oauth/token`,
          revocation_endpoint: `${origin}/oauth/revoke`,
          response_types_supported: ['code'],
        },
      },
    }));
    try {
      const run = await mcpAuth('logout', url);
      expect(run.code).toBe(1);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(/^mcp-auth: warning: the tokens were not revoked \(.*ECONNREFUSED.*stay valid/),
      ]);
      expect(run.stdout).toBe(`Logged out of ${url}: tokens deleted here (client registration kept).\n`);
      const record = await store.read(url);
      expect(record?.tokens).toBeUndefined();
      expect(record?.clientInformation).toEqual({ client_id: 'c' });
    } finally {
      await store.remove(url);
    }
  });

  it('reports an unreachable server in one line, without a stack trace', async () => {
    const { url, server } = await answering(200, {});
    await new Promise((resolve) => server.close(resolve));
    const run = await mcpAuth('tools', url);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(/^mcp-auth: cannot reach the server: .*ECONNREFUSED/),
    ]);
  });

  it('says how to log in when the server wants a token, and stores nothing', async () => {
    const { url, server } = await answering(401, { 'www-authenticate': 'Bearer realm="mcp"' });
    try {
      const run = await mcpAuth('call', url, 'echo', '{"text":"hi"}');
      expect(run.code).toBe(1);
      expect(lines(run.stderr)).toEqual([
        `mcp-auth: Not logged in to ${url} (or the session expired): run \`mcp-auth login ${url}\``,
      ]);
      expect(await readdir(configDir)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('names the missing scope on 403 insufficient_scope and suggests the login that fixes it', async () => {
    const { url, server } = await answering(403, {
      'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp:tools mcp:identity"',
    });
    try {
      await new CredentialStore(configDir).update(url, () => ({
        clientInformation: { client_id: 'c' },
        tokens: { access_token: 'at', token_type: 'Bearer', scope: 'mcp:tools' },
      }));
      const run = await mcpAuth('whoami', url);
      expect(run.code).toBe(1);
      expect(lines(run.stderr)).toEqual([
        `mcp-auth: Insufficient scope for ${url}: it needs scope "mcp:tools mcp:identity" (missing: mcp:identity); ` +
          `run \`mcp-auth login ${url} --scope "mcp:tools mcp:identity"\``,
      ]);
    } finally {
      server.close();
    }
  });
});
