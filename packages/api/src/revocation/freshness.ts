import { performance } from 'node:perf_hooks';

/**
 * How long the revocation set may go without being confirmed complete before the instance
 * refuses every token (503): the longest a revocation committed elsewhere can go unheeded here.
 * The feed confirms it every second ({@link HEARTBEAT_MS}); a lost feed is replaced by a reload
 * of the table every second, through the pool; only when neither works does this run out.
 */
export const STALE_AFTER_MS = 5_000;

/**
 * Up to when the in-memory revocation set is known to hold every revocation committed so far,
 * in `performance.now()` time (a clock no test or NTP step moves). A reload that started at `t`
 * holds everything committed before `t`; so does the set when the feed confirms `t`, unless a
 * reload was asked for (a gap, a {@link RELOAD} announcement) and none started since.
 */
export class Freshness {
  #until: number;
  #resyncAskedAt: number | undefined;

  /** `always`: every instance is in this process (SQLite), so the set is always complete. */
  constructor(always: boolean) {
    this.#until = always ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** A reload is needed: the feed's confirmations count again once one started after now. */
  resyncAsked(): void {
    if (this.#until !== Number.POSITIVE_INFINITY) this.#resyncAskedAt = performance.now();
  }

  /** Whether a reload was asked for and none has completed since. */
  resyncPending(): boolean {
    return this.#resyncAskedAt !== undefined;
  }

  /** A reload that started at `startedAt` completed. */
  loaded(startedAt: number): void {
    if (this.#resyncAskedAt !== undefined && startedAt >= this.#resyncAskedAt)
      this.#resyncAskedAt = undefined;
    this.#extend(startedAt);
  }

  /** The feed delivered everything committed before `at`. */
  confirmed(at: number): void {
    if (this.#resyncAskedAt === undefined) this.#extend(at);
  }

  /** Whether the set is complete to within {@link STALE_AFTER_MS}. */
  current(): boolean {
    return performance.now() <= this.#until;
  }

  #extend(at: number): void {
    this.#until = Math.max(this.#until, at + STALE_AFTER_MS);
  }
}

/** How often the set is reloaded while the feed is down or behind. */
const POLL_MS = 1_000;

/**
 * Reloads the set every second while `behind()` (the feed down, or a reload it asked for not
 * yet done), and every `fullMs` in any case, then deleting expired rows (`full`); never two of
 * these at once, so a slow database does not pile them up.
 */
export function scheduleReloads(
  reload: (full: boolean) => Promise<void>,
  behind: () => boolean,
  fullMs: number,
): NodeJS.Timeout {
  let lastFull = performance.now();
  let running = false;
  const timer = setInterval(
    () => {
      const full = performance.now() - lastFull >= fullMs;
      if (running || !(full || behind())) return;
      if (full) lastFull = performance.now();
      running = true;
      reload(full)
        .catch(() => {})
        .finally(() => {
          running = false;
        });
    },
    Math.min(POLL_MS, fullMs),
  );
  timer.unref();
  return timer;
}
