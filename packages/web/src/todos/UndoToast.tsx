import { useEffect, useLayoutEffect, useRef } from 'react';
import type { PendingDelete } from './use-delete-with-undo.js';

/**
 * "Deleted … Undo" — announced politely to screen readers, reachable by keyboard. The deleted
 * row took the focus with it, so Undo receives it; when the toast goes (sent, dismissed) with
 * the focus still inside, it moves to `returnFocusTo` rather than being dropped on the body.
 */
export function UndoToast({
  pending,
  returnFocusTo,
}: {
  pending: PendingDelete | null;
  returnFocusTo: () => HTMLElement | null;
}) {
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {pending ? (
        <Toast key={pending.todo.id} pending={pending} returnFocusTo={returnFocusTo} />
      ) : null}
    </div>
  );
}

function Toast({
  pending,
  returnFocusTo,
}: {
  pending: PendingDelete;
  returnFocusTo: () => HTMLElement | null;
}) {
  const toastRef = useRef<HTMLDivElement>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
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
    // The undo window waits while the pointer rests on the notice (WCAG 2.2 SC 2.2.1): reading
    // it and reaching Undo is not a race against its countdown.
    <div
      className="toast"
      ref={toastRef}
      onPointerEnter={pending.hold}
      onPointerLeave={pending.release}
    >
      <span className="toast__text">
        Deleted <strong dir="auto">{pending.todo.title}</strong>
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
