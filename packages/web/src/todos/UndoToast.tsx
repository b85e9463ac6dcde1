import {
  type FocusEvent,
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { useNoticeClearance } from './notice-clearance.js';
import type { HoldReason } from './undo-window.js';
import type { PendingDelete } from './use-delete-with-undo.js';

/** Said once per notice, the first time its window waits. */
export const PAUSED_ANNOUNCEMENT = 'Paused: the todo is deleted once you leave this notice.';

/**
 * "Deleted … Undo" — announced politely to screen readers, reachable by keyboard. The deleted
 * row took the focus with it, so Undo receives it; when the toast goes (sent, dismissed) with
 * the focus still inside, it moves to `returnFocusTo` rather than being dropped on the body.
 * Escape in the notice sends the delete now and puts the focus on `focusAfterEscape`.
 *
 * The window waits while the pointer rests on the notice, or while the notice has the focus
 * and that focus is keyboard focus (WCAG 2.2 SC 2.2.1, Timing Adjustable). The focus alone
 * cannot be the signal: Undo takes it whenever the notice shows, for mouse users too, whose
 * deletes would then all wait. Keyboard focus is what the browser shows a focus ring for
 * (`:focus-visible`): programmatic focus matches it only when the person was using the
 * keyboard, so Undo focused after Enter or Space on Delete holds the window, after a click not.
 * Delete pressed without a pointer (`PendingDelete.withoutPointer`: a key, or a screen reader's
 * activation) holds it too, where the browser does not draw that focus as keyboard focus.
 * While it waits the notice says so, and the first time a polite live region says it once.
 */
export function UndoToast({
  pending,
  returnFocusTo,
  focusAfterEscape,
}: {
  pending: PendingDelete | null;
  returnFocusTo: () => HTMLElement | null;
  focusAfterEscape: (todoId: string) => HTMLElement | null;
}) {
  // The notice whose wait was announced: its live region text stays the same until the notice
  // goes, so holding and releasing again says nothing more. The notice itself, not its todo's
  // id: the same todo deleted again after Undo is a new notice, not paused until it waits.
  const [announced, setAnnounced] = useState<PendingDelete | null>(null);
  const onPaused = useCallback(() => {
    if (pending) setAnnounced(pending);
  }, [pending]);
  return (
    <>
      <div className="toast-region" role="status" aria-live="polite">
        {pending ? (
          <Toast
            key={pending.todo.id}
            pending={pending}
            returnFocusTo={returnFocusTo}
            focusAfterEscape={focusAfterEscape}
            onPaused={onPaused}
          />
        ) : null}
      </div>
      <p className="visually-hidden" aria-live="polite" data-testid="undo-paused-announcement">
        {announced !== null && announced === pending ? PAUSED_ANNOUNCEMENT : ''}
      </p>
    </>
  );
}

function Toast({
  pending,
  returnFocusTo,
  focusAfterEscape,
  onPaused,
}: {
  pending: PendingDelete;
  returnFocusTo: () => HTMLElement | null;
  focusAfterEscape: (todoId: string) => HTMLElement | null;
  onPaused: () => void;
}) {
  const toastRef = useRef<HTMLDivElement>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
  const pointer = useHold(pending, 'pointer');
  const keyboard = useKeyboardHold(pending, toastRef, focusAfterEscape);
  const paused = pointer.held || keyboard.held;
  useNoticeClearance(toastRef);
  useEffect(() => {
    if (paused) onPaused();
  }, [paused, onPaused]);
  useEffect(() => {
    undoRef.current?.focus();
  }, []);
  useLayoutEffect(() => {
    const toast = toastRef.current;
    return () => {
      if (!toast?.contains(document.activeElement)) return;
      // Undo moves the focus itself; anything else returns it to the list.
      requestAnimationFrame(() => {
        if (document.activeElement === document.body) returnFocusTo()?.focus();
      });
    };
  }, [returnFocusTo]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the focus and key events come up from the notice's own buttons; the notice itself takes no focus.
    <div
      className="toast"
      ref={toastRef}
      data-paused={paused || undefined}
      onPointerEnter={() => pointer.set(true)}
      onPointerLeave={() => pointer.set(false)}
      onFocus={keyboard.onFocus}
      onBlur={keyboard.onBlur}
      onKeyDown={keyboard.onKeyDown}
    >
      {/* Cut short past 22rem on screen: the title shows it whole on hover. */}
      <span className="toast__text" title={pending.todo.title}>
        Deleted <strong dir="auto">{pending.todo.title}</strong>
      </span>
      {/* Said by the live region next to the notice, once: here it would make the notice's own
          region read the whole notice again each time the wait begins. Shown on the notice's
          top edge, outside its row: in the row it would widen the centred notice and move Undo
          and Dismiss away from a pointer on its way to them, and room kept for it there left an
          empty gap in every notice that is not paused. */}
      <span className="toast__paused" aria-hidden="true">
        {paused ? 'Paused' : null}
      </span>
      <button ref={undoRef} type="button" className="button button--small" onClick={pending.undo}>
        Undo
      </button>
      <button type="button" className="icon-button" onClick={pending.commit} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}

/** Whether the undo window is held for `reason`, kept in step with the pending delete. */
function useHold(pending: PendingDelete, reason: HoldReason) {
  const [held, set] = useState(false);
  useEffect(() => {
    if (!held) return;
    pending.hold(reason);
    return () => pending.release(reason);
  }, [held, pending, reason]);
  return { held, set };
}

/**
 * The hold of the keyboard: while the notice has keyboard focus, or a key was pressed in it,
 * until the focus leaves it. Escape sends the delete now and moves the focus to
 * `focusAfterEscape`, before the notice goes with it.
 */
function useKeyboardHold(
  pending: PendingDelete,
  toastRef: RefObject<HTMLDivElement | null>,
  focusAfterEscape: (todoId: string) => HTMLElement | null,
) {
  const { held, set } = useHold(pending, 'keyboard');
  const onFocus = (event: FocusEvent) => {
    if (pending.withoutPointer || hasKeyboardFocus(event.target)) set(true);
  };
  const onBlur = () => {
    // Checked once the focus has landed: moving between Undo and Dismiss keeps the hold, and so
    // does the window losing the focus (the notice has it again when the window comes back).
    setTimeout(() => {
      if (!toastRef.current?.contains(document.activeElement)) set(false);
    }, 0);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') {
      // A key pressed in the notice: the person is here with the keyboard.
      set(true);
      return;
    }
    event.preventDefault();
    const next = focusAfterEscape(pending.todo.id);
    pending.commit();
    next?.focus();
  };
  return { held, onFocus, onBlur, onKeyDown };
}

/**
 * Whether `target` has the focus the browser draws a ring for, the keyboard's. A browser that
 * cannot tell (no `:focus-visible`) holds the window: a delete waiting for someone who does not
 * need it is the lesser harm.
 */
function hasKeyboardFocus(target: EventTarget): boolean {
  if (!(target instanceof Element)) return false;
  try {
    return target.matches(':focus-visible');
  } catch {
    return true;
  }
}
