import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Todo } from '../api/types.js';
import { removeTodo } from './cache.js';
import { restoreLists, updateAllLists, useDeleteTodo } from './queries.js';

/** How long "Undo" stays offered before the delete is sent. */
export const UNDO_WINDOW_MS = 5000;

export interface PendingDelete {
  todo: Todo;
  undo(): void;
  commit(): void;
}

/**
 * Delete with undo: the todo leaves every list at once, the DELETE is sent when the undo window
 * closes (or at once when another delete starts or the page is left), and a refused DELETE
 * puts the todo back.
 */
export function useDeleteWithUndo(onError: (error: unknown, todo: Todo) => void) {
  const client = useQueryClient();
  const mutation = useDeleteTodo();
  const [pending, setPending] = useState<PendingDelete | null>(null);
  const pendingRef = useRef<PendingDelete | null>(null);

  const remove = useCallback(
    async (todo: Todo) => {
      pendingRef.current?.commit();
      const snapshot = await updateAllLists(client, (data) => removeTodo(data, todo.id));
      let settled = false;
      const finish = () => {
        settled = true;
        window.clearTimeout(timer);
        if (pendingRef.current === entry) {
          pendingRef.current = null;
          setPending(null);
        }
      };
      const entry: PendingDelete = {
        todo,
        undo() {
          if (settled) return;
          finish();
          restoreLists(client, snapshot);
        },
        commit() {
          if (settled) return;
          finish();
          mutation.mutate(todo.id, {
            onError: (error) => {
              restoreLists(client, snapshot);
              onError(error, todo);
            },
          });
        },
      };
      const timer = window.setTimeout(() => entry.commit(), UNDO_WINDOW_MS);
      pendingRef.current = entry;
      setPending(entry);
    },
    [client, mutation, onError],
  );

  // Leaving the page (or the screen) sends the delete the user asked for.
  useEffect(() => {
    const flush = () => pendingRef.current?.commit();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, []);

  return { pending, remove };
}
