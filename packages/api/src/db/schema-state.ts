import { migrationNames } from './migrate.js';

/** The API's database as `todo doctor` finds it before the API starts on it. */
export interface DatabaseInspection {
  /** Where: `host:port/database` (no user information) or `SQLite <file>`. */
  readonly location: string;
  /** The schema against this release's migrations, in words; absent when it cannot be read. */
  readonly schema?: string;
  /** Who may write there, in words; absent when it cannot be read. */
  readonly writes?: string;
  /** What stops the API, or its writes: a stable code and one sentence. */
  readonly problem?: { readonly code: DatabaseProblem; readonly message: string };
}

/**
 * `database_unusable`: cannot connect, or cannot create the tables; `database_newer`: a newer
 * release migrated it (the API refuses to start); `database_migration_denied`: migrations are
 * pending and the user cannot apply them; `database_read_only`: the API would start and then
 * fail every write.
 */
export type DatabaseProblem =
  | 'database_unusable'
  | 'database_newer'
  | 'database_migration_denied'
  | 'database_read_only';

/** How the applied migrations compare with this release's. */
export interface SchemaState {
  readonly text: string;
  readonly pending: readonly string[];
  readonly unknown: readonly string[];
}

/** The schema in words, from the names recorded in `kysely_migration`. */
export function schemaState(applied: readonly string[]): SchemaState {
  const known = migrationNames();
  const unknown = applied.filter((name) => !known.includes(name));
  const pending = known.filter((name) => !applied.includes(name));
  const text =
    unknown.length > 0
      ? `migrated by a newer release (${unknown.join(', ')}, which this release does not know)`
      : applied.length === 0
        ? `empty: the API creates its tables (${known.length} migrations) when it starts`
        : pending.length > 0
          ? `${pending.length} of ${known.length} migrations pending (${pending.join(', ')}): the API applies them when it starts`
          : `up to date (${known.at(-1)})`;
  return { text, pending, unknown };
}

/** Why a schema a newer release migrated stops the API (as `migrate.ts` says it at start). */
export const NEWER = (s: SchemaState) =>
  `the database has migration ${s.unknown.join(', ')}, which this release does not know: a newer release migrated it, and this one refuses to start on it; run that release or a later one`;

/** A database the API would start on and then fail every write. */
export function readOnly(location: string, schema: string, message: string): DatabaseInspection {
  return { location, schema, writes: 'refused', problem: { code: 'database_read_only', message } };
}
