// Why this file is long: the pool and the three ways the request path sends statements on it
// (named statements, a first row, a transaction of one statement with its BEGIN) all reach into
// node-postgres's client and query internals; they are kept together so that one file holds
// every dependency on those internals.
import type pg from 'pg';
import { noteRefusedStartup, type PoolStartup } from './deadlines.js';
import { forgetDroppedStatements, loadPg } from './pg.js';
import { commitOutcomeUnknown, WriteOutcomeUnknownError } from './write-outcome.js';

/** Connections per API process. */
export const POOL_SIZE = 10;

/**
 * How long opening one connection may take: past it the server is taken as unreachable and the
 * request answers 503 (see `isDatabaseUnavailable`). A refused connection fails at once.
 */
export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * How long a request may wait for one of the pool's connections to come free. Under load every
 * connection is busy and requests queue, which is ordinary: each waits its turn, a few ms at
 * most when the database keeps up. Only a wait this long (a server that stopped answering, or
 * far more load than the database can serve) ends in 503, with `Retry-After`.
 */
export const QUEUE_TIMEOUT_MS = 15_000;

/** Distinct statements named server-side; beyond this, statements run unnamed. */
const MAX_NAMED = 200;
const names = new Map<string, string>();

/**
 * Marks a SQL text as one the API runs again and again with new values (a statement compiled
 * once, `compileOnce`): on PostgreSQL each connection then parses and plans it once, as a
 * named prepared statement (PostgreSQL 15 §55.2.3, extended query), and later executions send
 * only Bind and Execute. The statement must name its columns (no `*`), so a migration adding a
 * column cannot change a prepared statement's result type.
 */
export function prepareOnServer(sql: string): void {
  if (!names.has(sql) && names.size < MAX_NAMED) names.set(sql, `todo_sso_${names.size + 1}`);
}

type Query = (...args: unknown[]) => unknown;

/**
 * node-postgres's client with its own connect timeout (the pool's timeout, longer, bounds the
 * wait in the queue) and the statements marked by `prepareOnServer` sent as named statements.
 * Kysely calls `query(sql, parameters)`; any other call goes through unchanged. Defined on
 * first use, once the driver is loaded.
 *
 * A named statement is submitted as a `Query` made from the text and values, its name set
 * after: node-postgres copies a `{ name, text, values }` config through
 * `Object.getOwnPropertyDescriptors` on every call, about ten times the cost of the query
 * object itself. The query runs exactly as `query({ name, text, values })` would (same
 * queue, timeouts and errors; the promise settles from the query's callback).
 */
let NamedStatementClient: typeof pg.Client | undefined;
function namedStatementClient(): typeof pg.Client {
  const driver = loadPg();
  NamedStatementClient ??= class Client extends driver.Client {
    constructor(config?: string | (pg.ClientConfig & PoolStartup)) {
      const options = typeof config === 'string' ? { connectionString: config } : config;
      const startup = options?.startupTimeout;
      super({
        ...options,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        ...(startup !== undefined && !startup.refused && { statement_timeout: startup.ms }),
      });
      if (startup !== undefined && !startup.refused) noteRefusedStartup(this, startup);
      forgetDroppedStatements(this);
      const query = this.query.bind(this) as Query;
      const named: Query = (...args) => {
        const [text, values] = args;
        const name =
          args.length === 2 && typeof text === 'string' && Array.isArray(values)
            ? names.get(text)
            : undefined;
        if (name === undefined) return query(...args);
        return new Promise((resolve, reject) => {
          const submitted = new driver.Query(
            text as string,
            values as unknown[],
            (error, result) => (error ? reject(error) : resolve(result)),
          );
          // Read by the query when it is sent (Parse names it; later runs only Bind and Execute).
          (submitted as { name?: string }).name = name;
          query(submitted);
        });
      };
      this.query = named as pg.Client['query'];
    }
  };
  return NamedStatementClient;
}

/**
 * The API's pool. pg emits 'error' on a client whose connection ends unexpectedly, and an
 * 'error' event without a listener exits the process. pg-pool listens only while a client is
 * idle (and re-emits on the pool); while a request holds it, nothing does. So every client gets
 * its own listener for its whole life: the query in flight already fails with the same error
 * (answered 503), and the pool discards the client when it is released, no longer queryable.
 * With `statementTimeoutMs`, each connection starts with that `statement_timeout` (`PoolStartup`).
 */
export function createPool(
  url: string,
  max = POOL_SIZE,
  options: { readonly statementTimeoutMs?: number } = {},
): pg.Pool {
  const { statementTimeoutMs } = options;
  const startup: PoolStartup =
    statementTimeoutMs === undefined
      ? {}
      : { startupTimeout: { ms: statementTimeoutMs, refused: false } };
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max,
    Client: namedStatementClient(),
    connectionTimeoutMillis: QUEUE_TIMEOUT_MS,
    ...startup,
  });
  pool.on('connect', (client) => {
    client.on('error', ignoreConnectionError);
  });
  pool.on('error', ignoreConnectionError);
  return pool;
}

/** The error is reported to whoever was waiting on the connection; the process lives on. */
function ignoreConnectionError(): void {}

/** A compiled statement: its text and bound values, as Kysely compiles them. */
export interface QueuedStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * The first row of one statement on one of the pool's connections, outside any transaction:
 * what `kysely.executeQuery` does for it (acquire, `query(sql, values)`, release) without
 * Kysely's executor, driver wrapper and connection objects between them (an async hop each,
 * per request on the page route). Same statement text and values, so a statement marked by
 * `prepareOnServer` still runs as its named prepared statement; same errors.
 */
export async function firstRow<R>(
  pool: pg.Pool,
  { sql, parameters }: QueuedStatement,
): Promise<R | undefined> {
  const client = await pool.connect();
  try {
    return (await client.query(sql, [...parameters])).rows[0] as R | undefined;
  } finally {
    client.release();
  }
}

type Wire = {
  parse(m: object): void;
  bind(m: object): void;
  execute(m: object): void;
  /** node-postgres's record of the names this connection has parsed (text by name). */
  parsedStatements: Record<string, string>;
};

/** `BEGIN` as a named statement of each connection (see `beginWith`). */
const BEGIN_NAME = 'todo_sso_begin';
type QueryClass = new (
  text: string,
  values: unknown[],
  done: (error: Error | undefined, result: unknown) => void,
) => {
  name?: string;
  prepare(connection: Wire): void;
  hasBeenParsed(connection: Wire): boolean;
};
let BeginQuery: QueryClass | undefined;

/** A statement sent after `BEGIN` (`beginWith`): settled by its answer. */
interface BegunStatement {
  readonly answered: Promise<unknown>;
  /**
   * Whether this batch carried a named `Parse` (the statement's, or `BEGIN`'s first on this
   * connection). node-postgres records the statement's name as parsed on the first
   * `ParseComplete` of the batch, which is `BEGIN`'s, and `BEGIN`'s name is recorded when it is
   * sent: when the batch then fails (a lock wait cut by `statement_timeout`, a cancel), the
   * connection may believe a statement prepared that the server never stored, and every later
   * use of it would fail (SQLSTATE 26000). Such a connection is not reused.
   */
  parsesName: boolean;
}

/**
 * `BEGIN` and `statement` sent to the server together, one round trip (PostgreSQL 15 §55.2.3:
 * extended-query messages up to Sync run in order; a `BEGIN` among them opens a transaction
 * block that outlives the Sync). If `BEGIN` or the statement fails, the server skips to the
 * Sync and the query rejects; the transaction block, if opened, waits for its `ROLLBACK`.
 * Always sent as extended query (never the simple protocol, which would drop the `BEGIN`); a
 * statement marked by `prepareOnServer` keeps its name. `BEGIN` itself is a named statement
 * (§55.2.3), parsed by the first batch on each connection and then only bound and executed,
 * as pgbench's `--protocol=prepared` sends it: the server no longer parses and discards an
 * unnamed `BEGIN` on every write.
 */
function beginWith(client: pg.PoolClient, { sql, parameters }: QueuedStatement): BegunStatement {
  const driver = loadPg();
  BeginQuery ??= class extends (driver.Query as unknown as QueryClass) {
    begun: BegunStatement | undefined;
    requiresPreparation(): boolean {
      return true;
    }
    override prepare(connection: Wire): void {
      const parsesBegin = connection.parsedStatements[BEGIN_NAME] === undefined;
      if (this.begun !== undefined)
        this.begun.parsesName =
          parsesBegin || (this.name !== undefined && !this.hasBeenParsed(connection));
      if (parsesBegin) {
        connection.parse({ name: BEGIN_NAME, text: 'BEGIN' });
        connection.parsedStatements[BEGIN_NAME] = 'BEGIN';
      }
      connection.bind({ statement: BEGIN_NAME });
      connection.execute({});
      super.prepare(connection);
    }
  };
  const Query = BeginQuery;
  const begun = { parsesName: false } as { parsesName: boolean; answered: Promise<unknown> };
  begun.answered = new Promise((resolve, reject) => {
    const query = new Query(sql, [...parameters], (error, result) =>
      error ? reject(error) : resolve(result),
    );
    (query as { begun?: BegunStatement }).begun = begun;
    const name = names.get(sql);
    if (name !== undefined) query.name = name;
    (client as unknown as { query(q: unknown): unknown }).query(query);
  });
  return begun;
}

/**
 * Runs one statement as a transaction of its own on one of the pool's connections in two round
 * trips instead of three: `BEGIN` travels with the statement (`beginWith`), then `COMMIT`.
 * Between round trips a busy process answers other requests while it holds the connection, so
 * one round trip fewer holds it for less time. It stays a real transaction: `COMMIT` leaves only
 * once the statement's answer has arrived, so a connection lost before then stores nothing. A
 * failed statement is rolled back and its error thrown; a `COMMIT` that did not answer `COMMIT`
 * throws as well (`WriteOutcomeUnknownError` when it was sent and got no answer: the outcome is
 * then unknown), and a connection whose `ROLLBACK` or `COMMIT` failed is discarded, as is one
 * whose failed batch carried the statement's first named `Parse` (`BegunStatement.parsesName`).
 *
 * Returns the statement's rows (those it returned before `COMMIT` succeeded).
 *
 * @throws the statement's error, or the connection's (a lost connection: answered 503).
 */
export async function transactionOfOne(
  pool: pg.Pool,
  statement: QueuedStatement,
): Promise<readonly unknown[]> {
  const client = await pool.connect();
  let unusable: Error | undefined;
  try {
    const begun = beginWith(client, statement);
    let answered: unknown;
    try {
      answered = await begun.answered;
    } catch (error) {
      // Discarded, the connection's transaction ends with it on the server.
      if (begun.parsesName) unusable = error as Error;
      else
        await client.query('ROLLBACK').catch((rollback: Error) => {
          unusable = rollback;
        });
      throw error;
    }
    const commit = await client.query('COMMIT').catch((error: Error) => {
      unusable = error;
      // Sent, and no answer: the transaction may have committed (`commitOutcomeUnknown`).
      throw commitOutcomeUnknown(error) ? new WriteOutcomeUnknownError(error) : error;
    });
    if (commit.command !== 'COMMIT')
      throw new Error(`the transaction ended with ${commit.command}, not COMMIT`);
    // With `BEGIN` in the same query, the driver may answer one result per command: the last.
    const result = Array.isArray(answered) ? answered[answered.length - 1] : answered;
    return (result as { rows?: readonly unknown[] } | undefined)?.rows ?? [];
  } finally {
    client.release(unusable);
  }
}
