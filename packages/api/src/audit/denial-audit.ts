import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { type AuditInput, auditRepository } from '../repositories/audit.js';
import { type OwnerProfile, ownerRow, upsertOwner } from '../repositories/owners.js';

const WINDOW_MS = 60_000;
const FLUSH_MS = 15_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** How long a minute that is over waits for its first record before its count is given up. */
const RETIRED_MS = 5 * WINDOW_MS;

/** One subject's denials in the current minute. */
interface Window {
  readonly start: number;
  written: number;
  /** Denials counted but not yet added to `lastId`'s record. */
  pending: number;
  lastId?: string;
}

export interface AuditKeeperOptions {
  readonly db: Db;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Denial records written per subject per minute (and per instance); the rest are counted. */
  readonly denialsPerMinute: number;
  /** Records older than this many days are deleted in the background. */
  readonly retentionDays: number;
  /** How often the background prune runs (default hourly; it also runs at start). */
  readonly pruneIntervalMs?: number;
}

/**
 * Keeps the audit log bounded. Authorization denials are written at most `denialsPerMinute`
 * times per subject and minute; further ones are counted and the count is added to the last
 * written record's `suppressed` (every 15 s, when the minute is over, and on close), so a
 * caller hammering a forbidden route costs a few rows a minute, and the log still says how
 * often. Writes (successes) are always recorded, by their own transactions. Records older than
 * the retention period are deleted in the background, at start and then hourly.
 */
export class AuditKeeper {
  readonly #repo;
  readonly #options: AuditKeeperOptions;
  readonly #windows = new Map<string, Window>();
  /** Minutes that are over with counts not yet added to a record (theirs still being written). */
  readonly #retired = new Map<Window, string>();
  #timers: NodeJS.Timeout[] = [];
  #pruning?: Promise<unknown>;

  constructor(options: AuditKeeperOptions) {
    this.#options = options;
    this.#repo = auditRepository(options.db);
  }

  /** Starts the background flush and prune (timers do not keep the process alive). */
  start(): void {
    const flush = setInterval(() => void this.flush(), FLUSH_MS);
    const prune = setInterval(() => void this.prune(), this.#options.pruneIntervalMs ?? HOUR_MS);
    flush.unref();
    prune.unref();
    this.#timers = [flush, prune];
    void this.prune();
  }

  /**
   * Records one authorization denial, within the subject's budget; otherwise counts it. With
   * `profile`, the caller's name is remembered too (in the same budget), so the log can show it.
   */
  async recordDenial(input: AuditInput, profile?: OwnerProfile): Promise<void> {
    const now = this.#options.now();
    const key = input.actor ? `${input.actor.issuer}\n${input.actor.subject}` : 'anonymous';
    let window = this.#windows.get(key);
    if (window === undefined || now.getTime() >= window.start + WINDOW_MS) {
      // The new minute replaces the old one before anything is awaited: denials arriving while
      // the old minute's count is written all share this one window (and its budget), none
      // starting a window of its own that the next would replace, its count with it.
      const over = window;
      window = { start: now.getTime(), written: 0, pending: 0 };
      this.#windows.set(key, window);
      if (over !== undefined) await this.#retire(key, over);
    }
    if (window.written >= this.#options.denialsPerMinute) {
      window.pending += 1;
      return;
    }
    // Counted before the await, so concurrent denials cannot overrun the budget.
    window.written += 1;
    if (profile) {
      const { db } = this.#options;
      await upsertOwner(db.kysely, db.dialect, ownerRow(profile, now)).execute();
    }
    const id = await this.#repo.insert(input, now);
    window.lastId = id;
  }

  /** Adds counted denials to their records; forgets minutes that are over. */
  async flush(): Promise<void> {
    const now = this.#options.now().getTime();
    for (const [window, key] of [...this.#retired]) await this.#retire(key, window);
    for (const [key, window] of [...this.#windows]) {
      if (window.pending > 0) await this.#flushWindow(key, window);
      // Only the window read above: a new minute begun while this flush awaited stays.
      const over = now >= window.start + WINDOW_MS && window.pending === 0;
      if (over && this.#windows.get(key) === window) this.#windows.delete(key);
    }
  }

  /** Deletes records older than the retention period; returns how many went. */
  async prune(): Promise<number> {
    const before = new Date(this.#options.now().getTime() - this.#options.retentionDays * DAY_MS);
    const run = this.#repo.prune(before);
    this.#pruning = run.catch(() => {});
    try {
      const deleted = await run;
      if (deleted > 0) this.#options.logger.info({ deleted, before }, 'audit records pruned');
      return deleted;
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not prune the audit log');
      return 0;
    }
  }

  /** Stops the timers and writes the counts still pending. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#pruning;
    await this.flush().catch(() => {});
  }

  /**
   * Adds a minute that is over to its record, or keeps it for a flush until it can be; one whose
   * records were never written (the database failing all along) is given up after a few minutes.
   */
  async #retire(key: string, window: Window): Promise<void> {
    this.#retired.delete(window);
    await this.#flushWindow(key, window);
    if (window.pending === 0) return;
    if (this.#options.now().getTime() < window.start + RETIRED_MS) this.#retired.set(window, key);
    else this.#options.logger.warn({ key, count: window.pending }, 'denials not counted');
  }

  async #flushWindow(key: string, window: Window): Promise<void> {
    const count = window.pending;
    if (count === 0) return;
    if (window.lastId === undefined) {
      // The budget's record is still being written (or failed): try again at the next flush.
      return;
    }
    window.pending -= count;
    try {
      await this.#repo.addSuppressed(window.lastId, count);
    } catch (error) {
      window.pending += count;
      this.#options.logger.warn({ err: error, key }, 'could not count suppressed denials');
    }
  }
}
