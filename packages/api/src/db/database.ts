import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import Libsql from 'libsql';
import type { DatabaseConfig } from '../config/config.js';
import { applyDeadlines, STATEMENT_TIMEOUT_MS } from './deadlines.js';
import {
  createPool,
  firstRow,
  POOL_SIZE,
  type QueuedStatement,
  transactionOfOne,
} from './postgres-pool.js';
import type { Schema } from './schema.js';
import { guardedConnection } from './sqlite-connection.js';
import { MigrationSafeSqliteDialect } from './sqlite-dialect.js';
import { fileCheck } from './sqlite-file-identity.js';
import { withStatementCache } from './statement-cache.js';
import { CommitOutcomeDialect } from './write-outcome.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the typed query builder plus what differs between the two engines. */
export interface Db {
  readonly kysely: Kysely<Schema>;
  readonly dialect: DialectName;
  /** Where it lives, without credentials: a file path or `host:port/database`. */
  readonly location: string;
  /** A boolean as the engine stores it (SQLite has only integers). */
  bool(value: boolean): boolean | number;
  /**
   * The first row of a compiled read outside any transaction (undefined when it has none), as
   * `kysely.executeQuery` gives it. On SQLite it runs at once when no transaction is open on
   * the connection: reads are synchronous there, so nothing can interleave with it, and it
   * skips Kysely's connection queue (an await per step, a fifth of a page's cost) and libsql's
   * row objects (`FirstRowStatement`). Inside another request's transaction it waits its turn
   * through Kysely like any query, so it never sees uncommitted writes. On PostgreSQL it
   * runs on a pooled connection of its own (`firstRow`).
   */
  readFirst<R>(query: CompiledQuery<R>): Promise<R | undefined>;
  /**
   * PostgreSQL only: one compiled statement as a transaction of its own, `BEGIN` sent with it
   * (`transactionOfOne`): two round trips instead of three; the statement's rows once committed.
   * Throws, rolled back, if it fails; throws `WriteOutcomeUnknownError` if its `COMMIT` got no
   * answer.
   */
  readonly transactionOfOne?: (statement: QueuedStatement) => Promise<readonly unknown[]>;
  /**
   * Runs `work` without the request path's deadlines (`STATEMENT_TIMEOUT_MS`): on PostgreSQL on
   * a connection of its own, closed after; on SQLite on the database itself. For migrations and
   * retention, whose statements may rightly take longer on a large table.
   */
  unbounded<T>(work: (kysely: Kysely<Schema>) => Promise<T>): Promise<T>;
  /**
   * SQLite only: throws (503) when the file or its write-ahead log was deleted or replaced while
   * open (`fileIdentity`); writes check it themselves, `/readyz` asks.
   */
  readonly checkFile?: () => void;
  /** Closes every connection. */
  close(): Promise<void>;
}

/**
 * Makes the SQLite file's folder and the file itself this user's alone (0700, 0600) when they are
 * created here: they hold every person's todos and shares and the audit log (names, addresses),
 * which other users of the machine must not read, as `npm start` and the development IdP keep
 * theirs. SQLite gives its -wal and -shm files the database file's mode. A folder or file that
 * exists keeps its mode (an operator's volume); a file that cannot be created is left for SQLite
 * to report, as before.
 */
function createPrivately(file: string): void {
  // SQLite's names of a database with no file (an in-memory one, a temporary one): nothing made.
  if (file === ':memory:' || file === '') return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch {
    // There already, or not creatable here: opening it says which.
  }
}

/**
 * Opens the configured database. SQLite runs in WAL mode with a busy timeout so readers never
 * block the writer; PostgreSQL gets a small pool (`createPool`).
 *
 * SQLite is reached through `libsql`, an SQLite fork whose Node module has better-sqlite3's
 * synchronous API and ships prebuilt per platform as npm packages: `npm install` needs no
 * compiler and takes seconds, where better-sqlite3 compiles SQLite from source (a minute here)
 * whenever its binary cannot be downloaded from GitHub.
 */
export function openDatabase(config: DatabaseConfig): Db {
  if (config.kind === 'sqlite') {
    createPrivately(config.file);
    const sqlite = new Libsql(config.file);
    // Waits up to 5 s for another connection's lock instead of failing at once with
    // SQLITE_BUSY; first, so that even the pragmas below wait for a concurrent starter.
    sqlite.exec(`PRAGMA busy_timeout = ${Math.trunc(config.busyTimeoutMs ?? 5_000)}`);
    // WAL: readers never block the writer nor the writer readers. Persistent in the file, so
    // only set when missing (switching modes needs an exclusive lock another starter may hold).
    if (pragmaValue(sqlite, 'journal_mode') !== 'wal') sqlite.exec('PRAGMA journal_mode = WAL');
    sqlite.exec('PRAGMA foreign_keys = ON');
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a transaction stays atomic
    // and the file consistent after a crash of the process or the machine; only the last
    // commits before a power loss can roll back (https://sqlite.org/pragma.html#pragma_synchronous).
    if (pragmaValue(sqlite, 'journal_mode') === 'wal') sqlite.exec('PRAGMA synchronous = NORMAL');
    // A 16 MiB page cache (default 2 MiB) holds the hot index pages of a large todos table;
    // it is filled on demand, so an idle process does not pay for it.
    sqlite.exec('PRAGMA cache_size = -16384');
    // Reads through a 256 MiB memory map instead of a read() copy per page; pages are shared
    // with the OS page cache and only touched pages count towards the process's memory.
    sqlite.exec('PRAGMA mmap_size = 268435456');
    const checkFile = fileCheck(config.file, sqlite);
    const connection = guardedConnection(sqlite, checkFile);
    const statements = withStatementCache(connection);
    // Statements of their own, in raw mode; closing the database closes them with it.
    const firstRows = withStatementCache({ prepare: connection.prepareFirstRow, close() {} });
    const kysely = new Kysely<Schema>({
      dialect: new MigrationSafeSqliteDialect({ database: statements }),
    });
    return {
      kysely,
      dialect: 'sqlite',
      location: config.file,
      bool: (value) => (value ? 1 : 0),
      readFirst: async <R>(query: CompiledQuery<R>) => {
        if (sqlite.inTransaction) return (await kysely.executeQuery(query)).rows[0];
        const statement = firstRows.prepare(query.sql);
        const values = statement.first(query.parameters);
        return values && (rowOf(statement.columns, values) as R);
      },
      unbounded: (work) => work(kysely),
      checkFile,
      close: () => kysely.destroy(),
    };
  }
  const statementTimeoutMs = config.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
  // 0 is PostgreSQL's "no timeout" (§20.11.1): a deadline is never turned off by a stray value.
  if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 1)
    throw new RangeError(
      `statementTimeoutMs must be a whole number of milliseconds of at least 1, not ${statementTimeoutMs}`,
    );
  const pool = createPool(config.url, POOL_SIZE, { statementTimeoutMs });
  const stopDeadlines = applyDeadlines(pool, statementTimeoutMs);
  // A transaction whose COMMIT got no answer throws `WriteOutcomeUnknownError` (503
  // `write_outcome_unknown`), told apart from a failure before COMMIT, which wrote nothing.
  const kysely = new Kysely<Schema>({ dialect: new CommitOutcomeDialect({ pool }) });
  const url = new URL(config.url);
  return {
    kysely,
    dialect: 'postgres',
    location: `${url.hostname}:${url.port || 5432}${url.pathname}`,
    bool: (value) => value,
    readFirst: (query) => firstRow(pool, query),
    transactionOfOne: (statement) => transactionOfOne(pool, statement),
    unbounded: async (work) => {
      const own = new Kysely<Schema>({
        dialect: new PostgresDialect({ pool: createPool(config.url, 1) }),
      });
      try {
        return await work(own);
      } finally {
        await own.destroy();
      }
    },
    close: () => {
      stopDeadlines();
      return kysely.destroy();
    },
  };
}

/** A row's values as an object keyed by its columns' names. */
function rowOf(columns: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i += 1) row[columns[i] as string] = values[i];
  return row;
}

/**
 * One pragma's current value, read as a row (the driver's `pragma(…, { simple: true })` returns
 * the whole row rather than the value).
 */
function pragmaValue(sqlite: Libsql.Database, name: string): unknown {
  const [row] = sqlite.prepare(`PRAGMA ${name}`).all() as Record<string, unknown>[];
  return row?.[name];
}

/** A stored timestamp as ISO 8601 (`Date` from PostgreSQL, string from SQLite). */
export function toIso(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString();
}
