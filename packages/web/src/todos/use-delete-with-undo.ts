import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { Todo } from '../api/types.js';
import { removeTodo, type TodoPages } from './cache.js';
import { forgetDelete, leftDeletes, rememberDelete } from './delete-in-flight.js';
import { todoKeys, useDeleteTodo, versionAfterOwnWrites } from './queries.js';
import { type HoldReason, undoCountdown } from './undo-window.js';

/** How long "Undo" stays offered before the delete is sent. */
export const UNDO_WINDOW_MS = 5000;

export interface PendingDelete {
  todo: Todo;
  /**
   * Delete was pressed without a pointer: Enter or Space, or a screen reader's activation. The
   * notice's focus then counts as keyboard focus even in a browser that does not show focus
   * moved by script after a key press as `:focus-visible`, or when the key press never reached
   * the page (a screen reader's browse mode clicks the button itself).
   */
  readonly withoutPointer: boolean;
  undo(): void;
  commit(): void;
  /**
   * Stops the undo window's countdown while the pointer rests on the notice or the notice has
   * the keyboard focus, so that reading it and reaching Undo takes as long as the person needs
   * (WCAG 2.2 SC 2.2.1, Timing Adjustable).
   */
  hold(reason: HoldReason): void;
  /**
   * Ends the hold for `reason`; when nothing holds it any more, the countdown continues with the
   * time that was left when it was first held.
   */
  release(reason: HoldReason): void;
}

/**
 * Delete with undo: the todo leaves the screen at once, the DELETE is sent when the undo window
 * closes (or at once when another delete starts or the page is left), and a refused DELETE
 * puts the todo back. The window does not run out while the pointer rests on the notice or the
 * notice has the keyboard focus, unless the page is hidden.
 *
 * The todo is hidden by id (`hidden`) rather than cut out of the cached lists: a refetch during
 * the undo window (another write, window focus) would otherwise bring it back on screen, and
 * putting back a snapshot of the lists on Undo would drop whatever changed since (a todo added,
 * another toggled). Undo just shows it again, where the lists have it.
 */
export function useDeleteWithUndo(onError: (error: unknown) => void) {
  const client = useQueryClient();
  const [pending, setPending] = useState<PendingDelete | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const pendingRef = useRef<PendingDelete | null>(null);
  /** Tells the countdown of the latest delete whether the page is hidden. */
  const hiddenRef = useRef<(hidden: boolean) => void>(() => {});

  const hide = useCallback((id: string, on: boolean) => {
    setHidden((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);
  const send = useSendDelete(hide, onError);

  const remove = useCallback(
    (todo: Todo, withoutPointer = false) => {
      pendingRef.current?.commit();
      hide(todo.id, true);
      rememberDelete(todo);
      let settled = false;
      const finish = () => {
        settled = true;
        countdown.stop();
        if (pendingRef.current === entry) {
          pendingRef.current = null;
          setPending(null);
        }
      };
      const entry: PendingDelete = {
        todo,
        withoutPointer,
        undo() {
          if (settled) return;
          finish();
          forgetDelete(todo.id);
          hide(todo.id, false);
          focusCheckboxOf(todo.id);
        },
        commit() {
          if (settled) return;
          finish();
          // After this tab's own edit or toggle of the todo still on its way, with its version.
          send(todo.id, versionAfterOwnWrites(client, todo));
        },
        hold: (reason) => countdown.hold(reason),
        release: (reason) => countdown.release(reason),
      };
      const countdown = undoCountdown(UNDO_WINDOW_MS, () => entry.commit());
      countdown.hidden(document.visibilityState === 'hidden');
      hiddenRef.current = countdown.hidden;
      pendingRef.current = entry;
      setPending(entry);
    },
    [client, send, hide],
  );

  // Leaving the page (or the screen) sends the delete the user asked for; what a reload cut
  // short, the next load sends.
  useEffect(() => {
    const flush = () => pendingRef.current?.commit();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, []);
  useEffect(() => {
    const change = () => hiddenRef.current(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', change);
    return () => document.removeEventListener('visibilitychange', change);
  }, []);
  useSendLeftDeletes(hide, send);

  return { pending, hidden, remove };
}

type SendDelete = (id: string, version: Promise<number>) => void;

/**
 * Sends the delete of `id` with `version` (If-Match) and takes the todo off the cached lists once
 * the API answered; a refused delete brings it back and is reported. A todo already gone (404)
 * counts as deleted.
 */
function useSendDelete(
  hide: (id: string, on: boolean) => void,
  onError: (error: unknown) => void,
): SendDelete {
  const client = useQueryClient();
  const { mutateAsync } = useDeleteTodo();
  return useCallback<SendDelete>(
    (id, version) => {
      // mutateAsync settles once per call (mutate's own callbacks fire for the last call only),
      // so every delete reaches its outcome even when several overlap.
      version
        .then((v) => mutateAsync({ id, version: v }))
        .catch((error: unknown) => {
          // Already gone (RFC 9110 §9.3.5: DELETE is idempotent): deleted from another tab or
          // device during the undo window, or by the earlier page's request that got there.
          // What the person asked for has happened; it is not reported as a failure.
          if (isApiError(error) && error.status === 404) return;
          throw error;
        })
        .then(
          () => {
            client.setQueriesData<TodoPages>({ queryKey: todoKeys.all }, (data) =>
              removeTodo(data, id),
            );
            hide(id, false);
            forgetDelete(id);
          },
          (error: unknown) => {
            hide(id, false);
            forgetDelete(id);
            onError(error);
          },
        );
    },
    [client, mutateAsync, hide, onError],
  );
}

/** Sends, once per page load, the deletes an earlier load of this tab asked for and left. */
function useSendLeftDeletes(hide: (id: string, on: boolean) => void, send: SendDelete): void {
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    for (const left of leftDeletes()) {
      hide(left.id, true);
      send(left.id, Promise.resolve(left.version));
    }
  }, [hide, send]);
}

/** Focus was on Undo, which leaves with the notice: it goes to the todo that came back. */
function focusCheckboxOf(id: string): void {
  requestAnimationFrame(() => {
    const rows = document.querySelectorAll<HTMLElement>('li[data-todo-id]');
    const row = [...rows].find((li) => li.dataset.todoId === id);
    row?.querySelector<HTMLInputElement>('input[type="checkbox"]')?.focus();
  });
}
