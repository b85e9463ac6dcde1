import type { ParseArgsConfig } from 'node:util';
import type { Io } from './io.js';
import type { Session } from './session.js';
import type { Settings } from './settings.js';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** What a command gets: its parsed arguments, the settings and a session, and output helpers. */
export interface CommandContext {
  readonly io: Io;
  readonly values: Values;
  readonly positionals: readonly string[];
  readonly json: boolean;
  settings(): Settings;
  session(): Session;
  /** Prints `data` as JSON with `--json`, else the human rendering. */
  print(data: unknown, human: () => string): void;
}

/** One subcommand of `todo`. */
export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** More for `todo <command> --help`, after the summary. */
  readonly details?: string;
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /** Whether positionals are allowed (and how many at least). */
  readonly minPositionals?: number;
  readonly maxPositionals?: number;
  /** Resolves to the exit code; anything but a number means 0. */
  run(ctx: CommandContext): Promise<unknown>;
}
