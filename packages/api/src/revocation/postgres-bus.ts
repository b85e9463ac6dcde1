import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type pg from 'pg';
import { loadPg } from '../db/pg.js';
import { CONNECT_TIMEOUT_MS } from '../db/postgres-pool.js';
import type { Revocation } from '../repositories/revocations.js';
import {
  CHANNEL,
  type FeedHandlers,
  NOTIFY_PAYLOAD_MAX_BYTES,
  RELOAD,
  type RevocationBus,
} from './bus.js';

/** How often the listening connection is asked a `select 1`, to prove it still delivers. */
export const HEARTBEAT_MS = 1_000;

/**
 * A heartbeat unanswered for this long means the connection is gone, even if nothing said so:
 * a partition, or a NAT or firewall that dropped the idle connection from its table, is silent
 * (no reset, no error) and would leave the instance deaf until the kernel gives up, minutes
 * later. The connection is then dropped and opened again.
 */
export const HEARTBEAT_TIMEOUT_MS = 2_000;

/** The heartbeat's text: named after the channel, so an operator sees what it is for. */
const HEARTBEAT = `select 1 as ${CHANNEL}`;

/** Wait between attempts to listen again, after a first immediate one. */
const RETRY_MS = 1_000;

/**
 * PostgreSQL `LISTEN`/`NOTIFY` on a dedicated connection. The announcement is a `pg_notify` in
 * the transaction that stores the revocation: PostgreSQL delivers it to every listening session
 * of the database when that transaction commits, and never if it rolls back (PostgreSQL 15,
 * `NOTIFY`: "if a NOTIFY is executed inside a transaction, the notify events are not delivered
 * until and unless the transaction is committed"). So a stored revocation is always announced,
 * and an announced one always stored, whatever happens to a connection after the commit.
 *
 * The connection proves itself every second with a `select 1`: PostgreSQL sends a session the
 * notifications committed before a statement at the latest when that statement completes, so
 * its answer means every revocation committed before it was sent has been received
 * (`handlers.current`). A lost connection (an error, its end, or a heartbeat unanswered for
 * {@link HEARTBEAT_TIMEOUT_MS}) is opened again at once, then every second; once it listens,
 * the stored set is reloaded (`handlers.resync`) before it counts as listening again.
 */
export function postgresBus(url: string): RevocationBus {
  let client: pg.Client | undefined;
  let closed = false;
  let live = false;
  let attempts = 0;
  let retry: NodeJS.Timeout | undefined;

  async function connect(handlers: FeedHandlers): Promise<void> {
    const next = new (loadPg().Client)({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    next.on('notification', (message) => deliver(message, handlers));
    let heartbeat: NodeJS.Timeout | undefined;
    // This client always has an 'error' listener (an unheard 'error' exits the process), and
    // a lost connection schedules exactly one reconnection however many ways it is reported
    // (the 'error' event, the failed connect, LISTEN or reload, the 'end' event, the heartbeat).
    let gone = false;
    const lost = () => {
      // Once only: a late 'end' of this connection must not mark its successor as deaf.
      if (gone) return;
      gone = true;
      live = false;
      clearInterval(heartbeat);
      next.removeAllListeners('error');
      next.on('error', () => {});
      // A silent connection would never end by itself: its socket is closed here.
      destroy(next);
      if (closed) return;
      retry = setTimeout(
        () => {
          connect(handlers).catch(() => {});
        },
        attempts === 0 ? 0 : RETRY_MS,
      );
      attempts += 1;
      retry.unref();
    };
    next.on('error', lost);
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      if (!closed) {
        next.once('end', lost);
        // What was committed before `LISTEN` took effect is read from the table.
        await handlers.resync();
      }
    } catch (error) {
      lost();
      throw error;
    }
    if (closed) return end(next);
    client = next;
    live = true;
    attempts = 0;
    heartbeat = startHeartbeat(next, lost, (sent) => {
      if (live && client === next) handlers.current(sent);
    });
  }

  return {
    async announce(revocation, tx) {
      const json = JSON.stringify(revocation);
      const payload = Buffer.byteLength(json) > NOTIFY_PAYLOAD_MAX_BYTES ? RELOAD : json;
      await sql`select pg_notify(${CHANNEL}, ${payload})`.execute(tx);
    },
    committed() {},
    start: (handlers) => connect(handlers),
    connected: () => live,
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      if (client !== undefined) await end(client);
    },
  };
}

/** One notification: a revocation, or a gap to fill from the table. */
function deliver(message: pg.Notification, handlers: FeedHandlers): void {
  if (message.channel !== CHANNEL || !message.payload) return;
  if (message.payload === RELOAD) return void handlers.resync().catch(() => {});
  try {
    handlers.revocation(JSON.parse(message.payload) as Revocation);
  } catch {
    void handlers.resync().catch(() => {});
  }
}

/**
 * Sends {@link HEARTBEAT} every {@link HEARTBEAT_MS} on `client`, one at a time: `answered`
 * with the time each was sent, `lost` once one fails or goes unanswered for
 * {@link HEARTBEAT_TIMEOUT_MS}.
 */
function startHeartbeat(
  client: pg.Client,
  lost: () => void,
  answered: (sentAt: number) => void,
): NodeJS.Timeout {
  let sentAt: number | undefined;
  const timer = setInterval(() => {
    if (sentAt !== undefined) {
      if (performance.now() - sentAt > HEARTBEAT_TIMEOUT_MS) lost();
      return;
    }
    const sent = performance.now();
    sentAt = sent;
    client.query(HEARTBEAT).then(() => {
      sentAt = undefined;
      answered(sent);
    }, lost);
  }, HEARTBEAT_MS);
  timer.unref();
  return timer;
}

/** Ends a client, within {@link CONNECT_TIMEOUT_MS}: a silent one never answers the goodbye. */
async function end(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  destroy(client);
}

/** Closes a client's socket at once, without the protocol's goodbye. */
function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.destroy();
}
