import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';
import { normalizeServerUrl } from './store.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options;

/** A subcommand: `run` gets the arguments after its name and returns the exit status. */
export interface Command {
  name: string;
  /** The full `--help` text. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * node:util parseArgs (strict, positionals allowed) with the common options, turning its errors into
 * one-line usage errors that point at the command's help.
 */
export function parseCommandLine<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code?.startsWith('ERR_PARSE_ARGS')) throw error;
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    // parseArgs' own messages run to several sentences; the first one says what is wrong.
    throw new UsageError(
      unknown ? `unknown option ${unknown[1]}` : (message.split(/\.\s/)[0] ?? message),
      `mcp-auth ${command} --help`,
    );
  }
}

/** Checks the number of positionals against the names in the usage line. */
export function takePositionals(
  command: string,
  positionals: string[],
  required: string[],
  optional: string[] = [],
): string[] {
  const help = `mcp-auth ${command} --help`;
  if (positionals.length < required.length) {
    throw new UsageError(`missing ${required.slice(positionals.length).join(', ')}`, help);
  }
  if (positionals.length > required.length + optional.length) {
    const extra = positionals[required.length + optional.length];
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, help);
  }
  return positionals;
}

/** The <mcp-url> argument, checked and normalized (it keys the stored credentials). */
export function serverUrlArgument(command: string, value: string | undefined): string {
  try {
    return normalizeServerUrl(value ?? '');
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message, `mcp-auth ${command} --help`);
    throw error;
  }
}

/** Whole seconds > 0, for --timeout. */
export function parseSeconds(
  command: string,
  option: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(
      `--${option} needs a number of seconds > 0, got ${JSON.stringify(value)}`,
      `mcp-auth ${command} --help`,
    );
  }
  return seconds;
}

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const printLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
