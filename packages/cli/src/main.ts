import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command, CommandContext } from './command.js';
import { doctor } from './commands/doctor.js';
import { lists, share } from './commands/list-commands.js';
import { login, logout, token, whoami } from './commands/session-commands.js';
import { add, done, ls, rm } from './commands/todo-commands.js';
import { CliError } from './errors.js';
import type { Io } from './io.js';
import { jsonText, terminalText } from './output/terminal.js';
import { Session } from './session.js';
import { resolveSettings, type Settings } from './settings.js';

/** Every subcommand, in the order `todo --help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  login,
  logout,
  whoami,
  token,
  ls,
  add,
  done,
  rm,
  lists,
  share,
  doctor,
};

const GLOBAL_OPTIONS = {
  issuer: { type: 'string' },
  api: { type: 'string' },
  'client-id': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: todo <command> [options]',
    '',
    'Start with todo login; when the API refuses the sign-in, todo doctor --login says why.',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'options: --issuer URL  --api URL  --client-id ID  --json  --help',
    'todo help <command> (or todo <command> --help) says more of one command; todo --version prints the version.',
    'environment: TODO_ISSUER, TODO_API_URL, TODO_CLIENT_ID, TODO_SCOPE, TODO_TOKEN_STORE (auto|keyring|file), TODO_DPOP (auto|on|off), TODO_CONFIG_DIR, TODO_NO_BROWSER (never open a browser)',
  ].join('\n');
}

/** `todo <command> --help` and `todo help <command>`. */
function commandHelp(command: Command): string {
  return [
    `usage: ${command.usage}`,
    command.summary,
    ...(command.details ? [command.details] : []),
  ].join('\n');
}

/** This package's version, from its package.json (one folder up from src/ and from dist/). */
function version(): string {
  const file = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** `todo help [<command>]`, `todo --help`, `todo --version`: undefined for anything else. */
function helpOrVersion(io: Io, name: string, rest: readonly string[]): number | undefined {
  if (name === '--version' || name === '-V') {
    io.out(`todo ${version()}`);
    return 0;
  }
  if (name !== '--help' && name !== '-h' && name !== 'help') return undefined;
  const [topic, ...more] = name === 'help' ? rest : [];
  if (topic === undefined) {
    io.out(help());
    return 0;
  }
  const command = COMMANDS[topic];
  if (command === undefined || more.length > 0) {
    io.err(
      command === undefined
        ? `todo help: unknown command "${topic}"\n${help()}`
        : `todo help: one command at a time\nusage: todo help [<command>]`,
    );
    return 2;
  }
  io.out(commandHelp(command));
  return 0;
}

function parse(command: Command, argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new CliError('usage', `${(e as Error).message}\nusage: ${command.usage}`);
  }
}

/**
 * `io` whose output cannot carry escape sequences or bidi overrides to the terminal, whatever a
 * command prints (every message may quote the API, the provider or another person's text).
 */
function guarded(io: Io): Io {
  return {
    out: (text) => io.out(terminalText(text)),
    err: (text) => io.err(terminalText(text)),
    env: io.env,
    fetch: io.fetch,
    now: () => io.now(),
    sleep: (ms) => io.sleep(ms),
    ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
    ...(io.createTimeoutMs === undefined ? {} : { createTimeoutMs: io.createTimeoutMs }),
    ...(io.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: io.requestTimeoutMs }),
    openBrowser: (url) => io.openBrowser(url),
  };
}

/**
 * Runs `todo` with `argv` (without the node and script paths) and resolves to the exit code:
 * 0 on success, 1 when the API, the identity provider or a check says no, 2 for a usage error.
 * Errors are printed as one sentence on stderr; nothing but `todo token` prints a token.
 */
export async function main(argv: readonly string[], given: Io): Promise<number> {
  const io = guarded(given);
  const [name, ...rest] = argv;
  if (name === undefined) {
    // A usage error like any other: on standard error, exit 2.
    io.err(help());
    return 2;
  }
  const shown = helpOrVersion(io, name, rest);
  if (shown !== undefined) return shown;
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`todo: unknown command "${name}"\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    if (
      positionals.length < (command.minPositionals ?? 0) ||
      positionals.length > (command.maxPositionals ?? 0)
    )
      throw new CliError('usage', `usage: ${command.usage}`);
    let settings: Settings | undefined;
    let session: Session | undefined;
    const json = values.json === true;
    const ctx: CommandContext = {
      io,
      values,
      positionals,
      json,
      settings: () =>
        (settings ??= resolveSettings(
          {
            ...(typeof values.issuer === 'string' && name !== 'doctor'
              ? { issuer: values.issuer }
              : {}),
            ...(typeof values.api === 'string' ? { api: values.api } : {}),
            ...(typeof values['client-id'] === 'string' ? { clientId: values['client-id'] } : {}),
          },
          io.env,
        )),
      session: () => (session ??= new Session(io, ctx.settings())),
      print: (data, human) => io.out(json ? jsonText(JSON.stringify(data, null, 2)) : human()),
    };
    const code = await command.run(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`todo ${name}: ${e.message}`);
      return e.exitCode;
    }
    io.err(`todo ${name}: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
