import {
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
} from 'kysely';

/**
 * A write whose `COMMIT` was sent to PostgreSQL and got no answer: the connection was lost (or
 * the server ended the session) while the commit was in flight, so the transaction may have
 * committed or not, and nothing the API holds can tell which. Answered 503
 * `write_outcome_unknown` (`http/server-errors.ts`), never as the ordinary 503, which promises
 * that nothing was written.
 *
 * Only PostgreSQL has this gap. SQLite's `COMMIT` is a call into the library in this process:
 * it returns once the commit record is in the write-ahead log, or an error, and SQLite rolls
 * the transaction back on the errors a commit can meet (SQLITE_IOERR, SQLITE_FULL; SQLITE_BUSY
 * leaves it open and Kysely rolls it back), so a failed `COMMIT` there wrote nothing
 * (https://sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction"). A
 * commit frame only partly written before an I/O error fails its checksum and is ignored when
 * the log is read again (https://sqlite.org/fileformat.html#the_write_ahead_log).
 */
export class WriteOutcomeUnknownError extends Error {
  override readonly name = 'WriteOutcomeUnknownError';
  constructor(cause: unknown) {
    super('the connection to PostgreSQL was lost after COMMIT was sent, before its answer', {
      cause,
    });
  }
}

/**
 * Whether `error`, thrown by a `COMMIT` the API asked for, leaves the transaction's outcome
 * unknown. Not when PostgreSQL answered with an `ERROR` (the transaction rolled back: a
 * deferred constraint, a serialization failure), nor when node-postgres refused to send it on a
 * connection it already knew was broken or closed (the server rolls back a transaction whose
 * connection ends before `COMMIT`). Anything else can come after the server received it: the
 * connection reset or ended before the answer, or a `FATAL` (a terminated backend can report
 * it after its commit was made, as while it waits for a synchronous standby).
 */
export function commitOutcomeUnknown(error: unknown): boolean {
  if ((error as { severity?: unknown } | undefined)?.severity === 'ERROR') return false;
  const message = error instanceof Error ? error.message : '';
  return !NOT_SENT.test(message);
}

/**
 * Whether a write sent outside a transaction (one autocommitted statement) and failed with
 * `error` may have been made all the same: on PostgreSQL, the statement reached the server and
 * the connection was lost before its answer, which leaves it as unknown as a `COMMIT` in the
 * same case ({@link commitOutcomeUnknown}). Not when no connection was ever made (refused, a
 * name not found, the pool's wait for one over). SQLite's statement is a call into the library
 * in this process: a failure there wrote nothing.
 */
export function autocommitOutcomeUnknown(dialect: string, error: unknown): boolean {
  if (dialect !== 'postgres' || !commitOutcomeUnknown(error)) return false;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && NEVER_CONNECTED_CODES.has(code)) return false;
  return !(typeof message === 'string' && NEVER_CONNECTED.test(message));
}

/** Socket errors of a connection that was never made. */
const NEVER_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
/** pg-pool's wait for a connection, over before any was handed out. */
const NEVER_CONNECTED = /^timeout exceeded when trying to connect$/i;

/** node-postgres's refusals of a query it does not send (the client broken, or ended). */
const NOT_SENT =
  /^(Client has encountered a connection error and is not queryable|Client was closed and is not queryable)$/;

/** Whether `error` (or an error it wraps, through `cause`) is a {@link WriteOutcomeUnknownError}. */
export function isWriteOutcomeUnknown(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof WriteOutcomeUnknownError) return true;
  return false;
}

/**
 * Kysely's PostgreSQL dialect whose transactions tell a lost `COMMIT` apart: a `COMMIT` that
 * fails without a definite answer throws {@link WriteOutcomeUnknownError}, and the `ROLLBACK`
 * Kysely then sends is skipped (the connection is gone, and its failure would replace the
 * error with one that says the database is unavailable, as if nothing were written).
 */
export class CommitOutcomeDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new CommitOutcomeDriver(this.#config);
  }
}

class CommitOutcomeDriver extends PostgresDriver {
  /** Connections whose `COMMIT` got no answer, until Kysely's `ROLLBACK` after it. */
  readonly #unanswered = new WeakSet<DatabaseConnection>();
  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } catch (error) {
      if (!commitOutcomeUnknown(error)) throw error;
      this.#unanswered.add(connection);
      throw new WriteOutcomeUnknownError(error);
    }
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#unanswered.delete(connection)) return;
    await super.rollbackTransaction(connection);
  }
}

/**
 * What a write answered `write_outcome_unknown` says (503): the change may or may not have been
 * saved, and how to find out or repeat it safely.
 */
export const WRITE_OUTCOME_UNKNOWN =
  'The connection to the database was lost while the change was being saved: it may or may not have been saved. Repeating the request with the same Idempotency-Key is safe (it is answered as the first one was, or made once); without a key, read the resource first to see whether the change is there.';
