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
  /**
   * The page is hidden (another tab, minimised, being closed) or shown again. While hidden the
   * countdown runs whatever holds it: nobody is reading the notice, and a delete held until the
   * tab is closed would never be sent (a closed tab's storage goes with it, so no later load
   * sends it either). Shown again before it ran out, the holds count again.
   */
  hidden(hidden: boolean): void;
  /** Ends the countdown for good (the delete was sent or taken back). */
  stop(): void;
}

/** A countdown of `ms` that runs `end` when it runs out, unless held or stopped. */
export function undoCountdown(ms: number, end: () => void): UndoCountdown {
  let deadline = Date.now() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(end, ms);
  const holds = new Set<HoldReason>();
  let pageHidden = false;
  /** While held: the time the window had left. */
  let left = ms;
  let stopped = false;
  const running = () => holds.size === 0 || pageHidden;
  /** Starts or stops the timer when whether it should run changed. */
  const sync = (wasRunning: boolean) => {
    if (stopped || running() === wasRunning) return;
    if (wasRunning) {
      left = Math.max(0, deadline - Date.now());
      clearTimeout(timer);
      timer = undefined;
    } else {
      deadline = Date.now() + left;
      timer = setTimeout(end, left);
    }
  };
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
    hold(reason) {
      const was = running();
      holds.add(reason);
      sync(was);
    },
    release(reason) {
      const was = running();
      holds.delete(reason);
      sync(was);
    },
    hidden(hidden) {
      const was = running();
      pageHidden = hidden;
      sync(was);
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
