import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { CliError, UsageError } from './errors.ts';

/** Tokens as stored: the token response plus when the access token expires, in seconds since the epoch. */
export type StoredTokens = OAuthTokens & { expires_at?: number };

/**
 * A machine login (client_credentials): the client id and where its credential is, never the credential
 * itself, so a rotated secret or key is picked up without logging in again. Exactly one source is set.
 */
export const machineCredentialsSchema = z
  .strictObject({
    clientId: z.string().min(1),
    /** File holding the client secret (client_secret_basic, or _post when that is all the server takes). */
    secretFile: z.string().min(1).optional(),
    /** Environment variable holding the client secret. */
    secretEnv: z.string().min(1).optional(),
    /** PKCS#8 PEM private key for private_key_jwt (RFC 7523 client assertions). */
    privateKeyFile: z.string().min(1).optional(),
    /** The scope asked for; a step-up widens it. */
    scope: z.string().min(1).optional(),
  })
  .refine(
    (m) => [m.secretFile, m.secretEnv, m.privateKeyFile].filter((v) => v !== undefined).length === 1,
    'exactly one of secretFile, secretEnv and privateKeyFile',
  );
export type MachineCredentials = z.infer<typeof machineCredentialsSchema>;

/** Everything the CLI keeps about one MCP server. One file per server. */
export interface ServerRecord {
  serverUrl: string;
  /** Set for a machine login (client_credentials): then there is no person, browser or refresh token. */
  machine?: MachineCredentials;
  /** The client registration (the DCR answer, a CIMD URL, or pre-registered credentials). */
  clientInformation?: OAuthClientInformationMixed;
  tokens?: StoredTokens;
  /** PKCE verifier of the authorization in progress; cleared once the code is exchanged. */
  codeVerifier?: string;
  /** Discovery results, so refreshing a token does not repeat RFC 9728 / RFC 8414 discovery. */
  discoveryState?: OAuthDiscoveryState;
  savedAt: string;
}

// The nested objects come from the SDK, which validates them on the way in; here we only check the
// shape we rely on, so that a hand-edited or truncated file is reported instead of misused.
const recordSchema = z.object({
  serverUrl: z.string(),
  machine: machineCredentialsSchema.optional(),
  clientInformation: z.looseObject({ client_id: z.string() }).optional(),
  tokens: z
    .looseObject({ access_token: z.string(), token_type: z.string(), expires_at: z.number().optional() })
    .optional(),
  codeVerifier: z.string().optional(),
  discoveryState: z.looseObject({ authorizationServerUrl: z.string() }).optional(),
  savedAt: z.string(),
});

/** `$MCP_AUTH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/mcp-auth`, else `~/.config/mcp-auth`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCP_AUTH_CONFIG_DIR) return env.MCP_AUTH_CONFIG_DIR;
  // XDG Base Directory: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'mcp-auth');
  return join(homedir(), '.config', 'mcp-auth');
}

/**
 * The form of an MCP server URL that keys its credentials: parsed (so host case and default ports do not
 * matter), without fragment. Credentials in the URL are refused: they would end up in file names and logs.
 */
export function normalizeServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`not a URL: ${input}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the MCP server URL must be http or https: ${input}`);
  }
  if (url.username || url.password) throw new UsageError('the MCP server URL must not carry credentials');
  url.hash = '';
  return url.href;
}

/** File name for a server: a readable slug for people listing the folder, plus a hash that makes it unique. */
export function serverKey(serverUrl: string): string {
  const normalized = normalizeServerUrl(serverUrl);
  const { host, pathname } = new URL(normalized);
  const slug = `${host}${pathname}`
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(normalized).digest('hex').slice(0, 16);
  return `${slug}-${hash}`;
}

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/**
 * Per-server credential files in one directory (mode 0700, files 0600), each replaced atomically
 * (write a temporary file, then rename) so a crash or a concurrent reader never sees half a file.
 */
export class CredentialStore {
  // Updates of one file within this process run one after another, so read-modify-write never loses one.
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): CredentialStore {
    return new CredentialStore(configDir(env));
  }

  fileFor(serverUrl: string): string {
    return join(this.dir, `${serverKey(serverUrl)}.json`);
  }

  async read(serverUrl: string): Promise<ServerRecord | undefined> {
    return this.readFile(this.fileFor(serverUrl));
  }

  /**
   * Applies `change` to the server's record and saves the result; `undefined` deletes the file.
   * `savedAt` and `serverUrl` are filled in here.
   */
  update(
    serverUrl: string,
    change: (current: ServerRecord | undefined) => Omit<ServerRecord, 'savedAt' | 'serverUrl'> | undefined,
  ): Promise<ServerRecord | undefined> {
    const normalized = normalizeServerUrl(serverUrl);
    const file = this.fileFor(normalized);
    const previous = this.queues.get(file) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const changed = change(await this.readFile(file));
        if (!changed) {
          await unlink(file).catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
          });
          return undefined;
        }
        const record: ServerRecord = { ...changed, serverUrl: normalized, savedAt: new Date().toISOString() };
        await this.writeAtomically(file, `${JSON.stringify(record, null, 2)}\n`);
        return record;
      });
    this.queues.set(file, next);
    return next;
  }

  /** Deletes everything stored for the server; true when there was something. */
  async remove(serverUrl: string): Promise<boolean> {
    const existed = (await this.read(serverUrl)) !== undefined;
    await this.update(serverUrl, () => undefined);
    return existed;
  }

  /** Every stored server record (for `status` / `logout --all`). */
  async list(): Promise<ServerRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const records = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => this.readFile(join(this.dir, n))),
    );
    return records.filter((r): r is ServerRecord => r !== undefined);
  }

  private async readFile(file: string): Promise<ServerRecord | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const parsed = recordSchema.safeParse(data);
    if (!parsed.success) {
      throw new CliError(`credentials file ${file} is damaged; delete it and log in again`);
    }
    return parsed.data as ServerRecord;
  }

  private async writeAtomically(file: string, contents: string): Promise<void> {
    // 0700 only applies to directories this creates: tightening an existing one (MCP_AUTH_CONFIG_DIR may name
    // any folder) is not ours to do.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, contents, { mode: 0o600, flag: 'wx' });
      await rename(temporary, file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }
}
