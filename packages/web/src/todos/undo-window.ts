/**
 * The undo window's timing and where the focus goes when it is closed from the keyboard: pure
 * logic, kept apart from the notice that shows it.
 */

/**
 * Why the window waits: the pointer rests on the notice, or the notice has the keyboard focus
 * (WCAG 2.2 SC 2.2.1, Timing Adjustable). Each is held and released on its own, so the pointer
 * leaving does not restart a countdown the keyboard still holds, and the other way round.
 */
export type HoldReason = 'pointer' | 'keyboard';

export interface UndoCountdown {
  /** Stops the countdown for `reason`, keeping the time the window had left. */
  hold(reason: HoldReason): void;
  /**
   * Ends the hold for `reason`; once nothing holds it, the countdown runs on with the time it
   * had left when it was first held (not a fresh window: the person has moved on, and a window
   * restarting on every pass of the focus or pointer would keep the delete unsent).
   */
  release(reason: HoldReason): void;
  /** Ends the countdown for good (the delete was sent or taken back). */
  stop(): void;
}

/** A countdown of `ms` that runs `end` when it runs out, unless held or stopped. */
export function undoCountdown(ms: number, end: () => void): UndoCountdown {
  let deadline = Date.now() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(end, ms);
  const holds = new Set<HoldReason>();
  /** While held: the time the window had left. */
  let left = ms;
  let stopped = false;
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
    hold(reason) {
      if (stopped) return;
      if (holds.size === 0) {
        left = Math.max(0, deadline - Date.now());
        clearTimeout(timer);
        timer = undefined;
      }
      holds.add(reason);
    },
    release(reason) {
      if (stopped || !holds.delete(reason) || holds.size > 0) return;
      deadline = Date.now() + left;
      timer = setTimeout(end, left);
    },
  };
}

/**
 * The todo that takes the place of `id` in the list shown (`ids` in their order, `hidden` left
 * out): the one after it, or the one before when it was the last; undefined when none is left.
 */
export function todoInPlaceOf(
  ids: readonly string[],
  id: string,
  hidden: ReadonlySet<string>,
): string | undefined {
  const at = ids.indexOf(id);
  if (at < 0) return undefined;
  const shown = (other: string) => other !== id && !hidden.has(other);
  return ids.slice(at + 1).find(shown) ?? ids.slice(0, at).findLast(shown);
}
