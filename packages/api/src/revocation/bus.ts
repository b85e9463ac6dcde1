import { EventEmitter } from 'node:events';
import type { Db } from '../db/database.js';
import type { Revocation } from '../repositories/revocations.js';

/** What a bus tells the revocation store. */
export interface FeedHandlers {
  /** A revocation announced by an instance (this one included). */
  revocation(revocation: Revocation): void;
  /**
   * Reloads the stored set: at start, after any gap in delivery and on a {@link RELOAD}
   * announcement. Resolves once loaded; rejects when the database could not be read.
   */
  resync(): Promise<void>;
  /**
   * Every announcement committed before `at` (`performance.now()` of this process) has been
   * delivered: the set is complete up to then.
   */
  current(at: number): void;
}

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
  /**
   * Starts delivering announcements; resolves once listening and the stored set is loaded
   * (`handlers.resync`), and rejects if either failed.
   */
  start(handlers: FeedHandlers): Promise<void>;
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
    async start(handlers) {
      listener = (revocation) => handlers.revocation(revocation);
      channel.on('revocation', listener);
      await handlers.resync();
      // Every instance on the file is in this process: nothing can be missed.
      handlers.current(Number.POSITIVE_INFINITY);
    },
    connected: () => listener !== undefined,
    async close() {
      if (listener) channel.off('revocation', listener);
      listener = undefined;
    },
  };
}
