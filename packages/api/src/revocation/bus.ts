import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadPg } from '../db/pg.js';
import type { Revocation } from '../repositories/revocations.js';

/**
 * Carries new revocations to every API instance sharing the database. A revocation is announced
 * in two steps around the transaction that stores it: `announce` inside it, `committed` after
 * its commit. Each bus delivers at the one step that cannot disagree with the commit.
 */
export interface RevocationBus {
  /**
   * Announces `revocation` from inside the transaction `tx` that stores it. On PostgreSQL this
   * is the `NOTIFY` itself, delivered when (and only if) `tx` commits; nothing is left to fail
   * between the commit and the announcement.
   */
  announce(revocation: Revocation, tx: Db['kysely']): Promise<void>;
  /** Tells the bus that the transaction which announced `revocation` committed. */
  committed(revocation: Revocation): void;
  /** Starts delivering announcements, and calls `onResync` after any gap in delivery. */
  start(onRevocation: (r: Revocation) => void, onResync: () => void): Promise<void>;
  /** True while announcements are being received. */
  connected(): boolean;
  close(): Promise<void>;
}

/** The PostgreSQL `LISTEN`/`NOTIFY` channel shared by every instance on one database. */
export const CHANNEL = 'todo_sso_revocations';

const local = new Map<string, EventEmitter>();

/**
 * PostgreSQL refuses a `NOTIFY` payload of 8000 bytes or more (PostgreSQL 15, `NOTIFY`: "the
 * payload string ... must be shorter than 8000 bytes"), which would roll back the revocation's
 * transaction. A revocation whose JSON is longer (a long `sid` or `sub`: OpenID Connect sets no
 * limit on a `sid`) is announced by {@link RELOAD} instead.
 */
export const NOTIFY_PAYLOAD_MAX_BYTES = 7999;

/**
 * The announcement of a revocation too long to send: not JSON, so every listener (older ones
 * too) takes it as a gap in delivery and reloads the stored set, which holds the revocation by
 * the time the notification is delivered (at commit).
 */
export const RELOAD = 'reload';

/**
 * SQLite is one file on one machine: instances sharing it are in one process (tests) or are
 * one process, so an in-process emitter keyed by the file reaches them all. It delivers once
 * the transaction has committed (`committed`), synchronously: nothing can fail in between.
 */
export function inProcessBus(key: string): RevocationBus {
  let emitter = local.get(key);
  if (!emitter) {
    emitter = new EventEmitter().setMaxListeners(0);
    local.set(key, emitter);
  }
  const channel = emitter;
  let listener: ((r: Revocation) => void) | undefined;
  return {
    async announce() {},
    committed(revocation) {
      channel.emit('revocation', revocation);
    },
    async start(onRevocation) {
      listener = onRevocation;
      channel.on('revocation', onRevocation);
    },
    connected: () => listener !== undefined,
    async close() {
      if (listener) channel.off('revocation', listener);
      listener = undefined;
    },
  };
}

/**
 * PostgreSQL `LISTEN`/`NOTIFY` on a dedicated connection. The announcement is a `pg_notify` in
 * the transaction that stores the revocation: PostgreSQL delivers it to every listening session
 * of the database when that transaction commits, and never if it rolls back (PostgreSQL 15,
 * `NOTIFY`: "if a NOTIFY is executed inside a transaction, the notify events are not delivered
 * until and unless the transaction is committed"). So a stored revocation is always announced,
 * and an announced one always stored, whatever happens to a connection after the commit. A
 * dropped listening connection is re-opened, and `onResync` reloads from the table what may have
 * been missed meanwhile.
 */
export function postgresBus(url: string): RevocationBus {
  let client: pg.Client | undefined;
  let closed = false;
  let live = false;
  let retry: NodeJS.Timeout | undefined;

  async function connect(onRevocation: (r: Revocation) => void, onResync: () => void) {
    const next = new (loadPg().Client)({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      if (message.payload === RELOAD) return onResync();
      try {
        onRevocation(JSON.parse(message.payload) as Revocation);
      } catch {
        onResync();
      }
    });
    // This client always has an 'error' listener (an unheard 'error' exits the process), and
    // a lost connection schedules exactly one reconnection however many ways it is reported
    // (the 'error' event, the failed connect or LISTEN, the 'end' event).
    let gone = false;
    const lost = () => {
      live = false;
      if (gone) return;
      gone = true;
      next.removeAllListeners('error');
      next.on('error', () => {});
      if (closed) return;
      retry = setTimeout(() => {
        connect(onRevocation, onResync).catch(() => {});
      }, 1000);
      retry.unref();
    };
    next.on('error', lost);
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      lost();
      throw error;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    live = true;
    next.once('end', () => {
      if (live) lost();
    });
    onResync();
  }

  return {
    async announce(revocation, tx) {
      const json = JSON.stringify(revocation);
      const payload = Buffer.byteLength(json) > NOTIFY_PAYLOAD_MAX_BYTES ? RELOAD : json;
      await sql`select pg_notify(${CHANNEL}, ${payload})`.execute(tx);
    },
    committed() {},
    start: (onRevocation, onResync) => connect(onRevocation, onResync),
    connected: () => live,
    async close() {
      closed = true;
      live = false;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
