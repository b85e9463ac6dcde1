import type { SqliteStatement } from 'kysely';

/** What of a libsql (better-sqlite3-style) statement this module uses. */
interface LibsqlStatement extends SqliteStatement {
  get(parameters: ReadonlyArray<unknown>): unknown;
  raw(on: boolean): LibsqlStatement;
  columns(): ReadonlyArray<{ readonly name: string }>;
}

/** What of a libsql database this module uses. */
export interface LibsqlDatabase {
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): unknown;
  close(): unknown;
  /** Whether a transaction is open on the connection (`sqlite3_get_autocommit` is false). */
  readonly inTransaction: boolean;
}

/**
 * A read statement whose first row comes back as its values in column order (`columns`), or
 * undefined when it has none. libsql's raw `get` steps once and resets the statement: no row
 * object with a key per column and a `_metadata` object, no iterator with its 100-slot buffer,
 * no array of rows, which `all()` makes for a statement of one row.
 */
export interface FirstRowStatement {
  readonly columns: readonly string[];
  first(parameters: ReadonlyArray<unknown>): unknown[] | undefined;
}

/**
 * libsql's connection as Kysely's `SqliteDialect` uses it, made safe for a file that other
 * connections (another API process, a bulk load, a backup) write too.
 *
 * 1. A statement that fails never stays running. SQLite leaves a statement that met
 *    SQLITE_BUSY (a lock held elsewhere past `busy_timeout`) stopped mid-program so that it
 *    can be retried (https://sqlite.org/rescode.html#busy); only `sqlite3_reset` ends it, and
 *    libsql's `all()`/`run()` do not reset on error. A running write statement makes every
 *    later COMMIT on the connection fail with "cannot commit transaction - SQL statements in
 *    progress", and a running read pins an old snapshot; the statement cache keeps it so
 *    until the same SQL runs again. libsql offers no reset without executing, so the failed
 *    statement is stepped once more under `PRAGMA query_only`: a write stops at its first
 *    instruction that would write (SQLITE_READONLY, which ends the statement) and a read
 *    reads one row, and libsql resets it after.
 * 2. Transactions begin with `BEGIN IMMEDIATE` (https://sqlite.org/lang_transaction.html):
 *    the write lock is taken, waiting `busy_timeout`, before the transaction reads anything,
 *    so its writes can never meet a snapshot another connection has moved past
 *    (SQLITE_BUSY_SNAPSHOT, which no waiting can cure). Within one process Kysely already runs
 *    one transaction at a time on its single connection, so nothing is serialised that was
 *    not already. BEGIN, COMMIT and ROLLBACK go through `exec`, which finalises its
 *    statement whatever happens.
 * 3. A ROLLBACK after SQLite already rolled the transaction back is not sent. SQLITE_FULL (the
 *    disk or the file size limit), SQLITE_IOERR, SQLITE_BUSY and SQLITE_NOMEM may end the whole
 *    transaction by themselves ("Response To Errors Within A Transaction",
 *    https://sqlite.org/lang_transaction.html); the ROLLBACK that follows would fail with "cannot
 *    rollback - no transaction is active" and hide the error that is the answer's (503).
 * 4. Nothing is written to a file deleted or replaced under the open connection (`verify`,
 *    `fileIdentity`): checked before BEGIN IMMEDIATE and once its write lock is taken (rolled
 *    back when it fails), and before a statement that may write outside a transaction.
 */
export function guardedConnection(
  database: LibsqlDatabase,
  verify: () => void = () => {},
): {
  prepare(sql: string): SqliteStatement;
  /** A statement of its own (not shared with `prepare`'s) read by its first row. */
  prepareFirstRow(sql: string): FirstRowStatement;
  close(): unknown;
} {
  return {
    prepareFirstRow: (sql) => firstRowStatement(database, database.prepare(sql)),
    prepare(sql) {
      // Kysely's SqliteDriver begins, commits and rolls back with these exact texts.
      if (sql === 'begin') return beginStatement(database, verify);
      if (sql === 'rollback') return rollbackStatement(database);
      if (sql === 'commit') return controlStatement(database, 'COMMIT');
      // A statement that may write, run outside a transaction: the file is checked first (4.).
      const check = /^\s*select\b/i.test(sql) ? undefined : verify;
      return guardedStatement(database, database.prepare(sql), check);
    },
    close: () => database.close(),
  };
}

/** A transaction control statement run through `exec`, which always finalises it (2. above). */
function controlStatement(database: LibsqlDatabase, sql: string): SqliteStatement {
  return {
    reader: false,
    all: () => {
      database.exec(sql);
      return [];
    },
    run: () => {
      database.exec(sql);
      return { changes: 0, lastInsertRowid: 0 };
    },
    iterate: () => {
      database.exec(sql);
      return [][Symbol.iterator]();
    },
  };
}

/**
 * `verify` outside any transaction, BEGIN IMMEDIATE, then `verify` again under the write lock
 * (rolled back when it throws): 4. above.
 */
function beginStatement(database: LibsqlDatabase, verify: () => void): SqliteStatement {
  const begin = () => {
    verify();
    database.exec('BEGIN IMMEDIATE');
    try {
      verify();
    } catch (error) {
      database.exec('ROLLBACK');
      throw error;
    }
  };
  return {
    reader: false,
    all: () => {
      begin();
      return [];
    },
    run: () => {
      begin();
      return { changes: 0, lastInsertRowid: 0 };
    },
    iterate: () => {
      begin();
      return [][Symbol.iterator]();
    },
  };
}

/** ROLLBACK, unless SQLite has already ended the transaction itself (3. above). */
function rollbackStatement(database: LibsqlDatabase): SqliteStatement {
  const rollback = controlStatement(database, 'ROLLBACK');
  const none = { changes: 0, lastInsertRowid: 0 };
  return {
    reader: false,
    all: (parameters) => (database.inTransaction ? rollback.all(parameters) : []),
    run: (parameters) => (database.inTransaction ? rollback.run(parameters) : none),
    iterate: (parameters) =>
      database.inTransaction ? rollback.iterate(parameters) : [][Symbol.iterator](),
  };
}

/** Ends a statement left running by an error, stepping it once under `query_only` (1. above). */
function halt(
  database: LibsqlDatabase,
  statement: LibsqlStatement,
  parameters: ReadonlyArray<unknown>,
): void {
  database.exec('PRAGMA query_only = ON');
  try {
    statement.get(parameters);
  } catch {
    // Expected for a write (SQLITE_READONLY): the statement has ended, which is the point.
  } finally {
    database.exec('PRAGMA query_only = OFF');
  }
}

/** A statement that never stays running after it fails. */
function guardedStatement(
  database: LibsqlDatabase,
  statement: LibsqlStatement,
  verify?: () => void,
): SqliteStatement {
  // Whether it returns rows is fixed by the SQL text; libsql asks SQLite each time (a native call).
  let reader: boolean | undefined;
  return {
    get reader() {
      reader ??= statement.reader;
      return reader;
    },
    all(parameters) {
      if (verify !== undefined && !database.inTransaction) verify();
      try {
        return statement.all(parameters);
      } catch (error) {
        halt(database, statement, parameters);
        throw error;
      }
    },
    run(parameters) {
      if (verify !== undefined && !database.inTransaction) verify();
      try {
        return statement.run(parameters);
      } catch (error) {
        halt(database, statement, parameters);
        throw error;
      }
    },
    iterate: (parameters) => guardedRows(database, statement, parameters),
  };
}

/** A statement in raw mode read by its first row, never left running after it fails (1.). */
function firstRowStatement(
  database: LibsqlDatabase,
  statement: LibsqlStatement,
): FirstRowStatement {
  statement.raw(true);
  return {
    columns: statement.columns().map((column) => column.name),
    first(parameters) {
      try {
        return statement.get(parameters) as unknown[] | undefined;
      } catch (error) {
        halt(database, statement, parameters);
        throw error;
      }
    },
  };
}

/** The rows of an iterated statement, which ends when iteration fails or stops early. */
function guardedRows(
  database: LibsqlDatabase,
  statement: LibsqlStatement,
  parameters: ReadonlyArray<unknown>,
): IterableIterator<unknown> {
  const rows = statement.iterate(parameters);
  let done = false;
  const end = () => {
    if (!done) halt(database, statement, parameters);
    done = true;
  };
  return {
    next() {
      try {
        const next = rows.next();
        done ||= next.done === true;
        return next;
      } catch (error) {
        end();
        throw error;
      }
    },
    // A reader that stops early (`break`) ends the statement too.
    return(value?: unknown) {
      end();
      return { done: true, value };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
}
