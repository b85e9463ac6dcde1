import { sql } from 'kysely';
import type { Db } from './database.js';
import { migrationNames } from './migrate.js';

/**
 * Whether a statement failed because the schema is not the one it was written for: a table or
 * column it names is gone or renamed, a column it does not fill became required, its
 * `ON CONFLICT` names a key that is no longer unique. PostgreSQL SQLSTATE (Appendix A): 42P01
 * undefined table, 42703 undefined column, 42P10 invalid column reference (the `ON CONFLICT`
 * target), 23502 not-null violation, 0A000 a prepared statement whose result type changed;
 * SQLite: the same as messages, and `SQLITE_CONSTRAINT_NOTNULL`. A wrapped error is judged by its
 * `cause`.
 */
export function isSchemaMismatch(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && PG_CODES.has(code)) return true;
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') return true;
  if (typeof code === 'string' && code.startsWith('SQLITE_') && SQLITE_MESSAGES.test(error.message))
    return true;
  return isSchemaMismatch(error.cause, depth + 1);
}

const PG_CODES = new Set(['42P01', '42703', '42P10', '23502', '0A000']);
const SQLITE_MESSAGES =
  /no such (table|column)|has no column named|ON CONFLICT clause does not match/;

/** How long a newer schema, once found, is taken as still there (no query per request). */
const KNOWN_FOR_MS = 5000;

const found = new WeakMap<Db, { readonly names: readonly string[]; readonly at: number }>();

/**
 * The migrations recorded in the database that this release does not know: a newer release
 * migrated it while this instance runs (a rolling upgrade). None when there are none or they
 * cannot be read. Only a finding is remembered (a few seconds): a failure that is this release's
 * own defect reads the table each time, and an upgrade is noticed at its first failure.
 */
export async function newerMigrations(db: Db, now = Date.now()): Promise<readonly string[]> {
  const known = found.get(db);
  if (known !== undefined && now - known.at < KNOWN_FOR_MS) return known.names;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(
      db.kysely,
    );
    const mine = new Set(migrationNames());
    const names = rows.map((row) => row.name).filter((name) => !mine.has(name));
    if (names.length > 0) found.set(db, { names, at: now });
    else found.delete(db);
    return names;
  } catch {
    return [];
  }
}
