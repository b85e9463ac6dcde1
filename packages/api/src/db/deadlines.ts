import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/**
 * The longest one statement of the request path may run: the pool's connections set it as
 * their `statement_timeout` (PostgreSQL 15 §20.11.1), so a statement stuck behind a lock or on
 * an overloaded server is cancelled by the server (SQLSTATE 57014), answered 503 with
 * `Retry-After`, and its connection stays usable. Migrations and the audit log's retention run
 * on a connection of their own without it (`Db.unbounded`).
 */
export const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * A statement still unanswered this long after the server would have cancelled it means the
 * connection went silent (a partition, a firewall that dropped it): nothing would end it for
 * minutes, until the kernel gives up retransmitting. Its socket is closed, which fails the
 * statement (503) and drops the connection from the pool.
 */
export const SILENT_AFTER_MS = STATEMENT_TIMEOUT_MS + 5_000;

/** How far past the statement timeout a statement still unanswered means a silent connection. */
const SILENT_MARGIN_MS = SILENT_AFTER_MS - STATEMENT_TIMEOUT_MS;

/** How often the pool's connections are looked at for a silent one. */
const SWEEP_MS = 1_000;

/** node-postgres's client internals read here: the statement in flight and the socket. */
interface ClientInternals {
  _activeQuery?: unknown;
  connection?: { stream?: Socket };
}

/**
 * Sets `statement_timeout` (`statementTimeoutMs`, by default {@link STATEMENT_TIMEOUT_MS}) on
 * each new connection of `pool` (a `SET` queued before any other statement) and closes a
 * connection whose statement has gone unanswered 5,000 ms past it ({@link SILENT_AFTER_MS} by
 * default). The sweep reads the statement in flight once a second: nothing is
 * added to a statement's own path. Returns a function that stops the sweep.
 *
 * The request path's pool also sends the timeout in each connection's start-up message
 * (`createPool`'s `statementTimeoutMs`), which makes it the session's default: a `SET` alone is
 * undone by `RESET ALL` or `DISCARD ALL` (a pooler's reset, an operator), after which the
 * connection's statements would run unbounded. The `SET` stays for a pooler that refuses the
 * start-up parameter (pgbouncer answers "unsupported startup parameter", and the pool then
 * opens its connections without it).
 */
export function applyDeadlines(
  pool: pg.Pool,
  statementTimeoutMs = STATEMENT_TIMEOUT_MS,
): () => void {
  const silentAfterMs = statementTimeoutMs + SILENT_MARGIN_MS;
  const clients = new Map<pg.PoolClient, { query: unknown; since: number }>();
  pool.on('connect', (client) => {
    clients.set(client, { query: null, since: 0 });
    client.query(`SET statement_timeout = ${Math.trunc(statementTimeoutMs)}`).catch(() => {});
  });
  pool.on('remove', (client) => {
    clients.delete(client as pg.PoolClient);
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [client, seen] of clients) {
      const internals = client as unknown as ClientInternals;
      const query = internals._activeQuery ?? null;
      if (query === null || query !== seen.query) {
        seen.query = query;
        seen.since = now;
      } else if (now - seen.since > silentAfterMs) {
        clients.delete(client);
        internals.connection?.stream?.destroy();
      }
    }
  }, SWEEP_MS);
  sweep.unref();
  return () => clearInterval(sweep);
}

/**
 * `statement_timeout` sent in the start-up message of each connection (PostgreSQL 15 §55.2.1:
 * any run-time parameter may be): a value set there is the session's default, which `RESET
 * ALL` and `DISCARD ALL` (a connection pooler's reset) return to, where a `SET` is undone by
 * them. `refused` once a server refused the parameter (SQLSTATE 08P01, pgbouncer's
 * "unsupported startup parameter: statement_timeout"): the pool's later connections go without
 * it and keep only the `SET` (`applyDeadlines`). Shared by a pool's connections.
 */
export interface PoolStartup {
  startupTimeout?: { readonly ms: number; refused: boolean };
}

/**
 * Marks the pool's start-up parameter refused when this connection's start-up fails with 08P01
 * naming it. The code alone is not enough: pgbouncer answers every refusal of its own with
 * 08P01 (a full pool, a server it cannot reach while PostgreSQL restarts, a login timeout), and
 * one of those must not take the limit out of the pool's later start-ups for good.
 */
export function noteRefusedStartup(client: pg.Client, startup: { refused: boolean }): void {
  const connect = client.connect.bind(client) as (callback?: (error?: Error) => void) => unknown;
  const note = (error: unknown) => {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (
      code === '08P01' &&
      typeof message === 'string' &&
      /startup parameter/i.test(message) &&
      message.includes('statement_timeout')
    )
      startup.refused = true;
  };
  (client as { connect: unknown }).connect = (callback?: (error?: Error) => void) => {
    if (callback !== undefined)
      return connect((error) => {
        note(error);
        callback(error);
      });
    return (connect() as Promise<unknown>).catch((error: unknown) => {
      note(error);
      throw error;
    });
  };
}
