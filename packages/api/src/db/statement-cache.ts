import type { SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; the app issues a few dozen shapes, so this is a backstop. */
export const STATEMENT_CACHE_SIZE = 256;

/** The subset of a better-sqlite3-style database (libsql) that Kysely's SQLite dialect uses. */
interface PreparingDatabase<S> {
  prepare(sql: string): S;
  close(): unknown;
}

/**
 * A database for Kysely's `SqliteDialect` whose `prepare(sql)` is memoised. The dialect calls
 * `prepare` on every query, and compiling the SQL costs more than running an indexed read
 * (~25 µs of a GET). Reusing a statement is safe here: the dialect runs one query at a time on
 * its single connection, a statement's bindings are per call, SQLite re-prepares a
 * statement by itself when the schema changes (`sqlite3_prepare_v2`), and a statement that
 * failed has been ended by `guardedConnection` (sqlite-connection.ts). Bounded, so SQL built
 * with a variable number of placeholders cannot grow it without limit: the oldest is dropped.
 */
export function withStatementCache<S = SqliteStatement>(
  database: PreparingDatabase<S>,
  maxStatements = STATEMENT_CACHE_SIZE,
): { prepare(sql: string): S; close(): void } {
  const statements = new Map<string, S>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= maxStatements) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      database.close();
    },
  };
}
