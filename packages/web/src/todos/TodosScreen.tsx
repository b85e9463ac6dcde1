import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import type { TodoFilter } from '../api/endpoints.js';
import { isApiError } from '../api/errors.js';
import type { Todo, TodoList } from '../api/types.js';
import { SIGNING_OUT_EVENT } from '../auth/sign-out.js';
import { readOnlyReason } from '../lists/ListHeader.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, ErrorState, Loading } from '../ui/states.js';
import { AddTodoForm } from './AddTodoForm.js';
import { flattenPages } from './cache.js';
import { FilterTabs } from './FilterTabs.js';
import { useTodoList } from './queries.js';
import { TodoItem } from './TodoItem.js';
import { UndoToast } from './UndoToast.js';
import { todoInPlaceOf } from './undo-window.js';
import { type PendingDelete, useDeleteWithUndo } from './use-delete-with-undo.js';

const EMPTY_TEXT: Record<TodoFilter, [string, string]> = {
  all: ['Nothing to do yet', 'Add your first todo above.'],
  open: ['All done', 'Every todo is completed. Nice.'],
  done: ['Nothing completed yet', 'Tick a todo to mark it done.'],
};

/**
 * The caller's todos: add, filter, edit, toggle, delete with undo, load more. With `list`, the
 * todos of that list, its header in place of the title, and controls the caller may not use
 * disabled (from the list's `actions`); without, every todo the caller can read.
 */
export function TodosScreen({
  list: selected,
  header,
  said,
}: {
  list?: TodoList | undefined;
  header?: ReactNode;
  /** Why this list shows rather than the one the person was looking at. */
  said?: string | undefined;
} = {}) {
  const [filter, setFilter] = useState<TodoFilter>('all');
  const [notice, setNotice] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(said ?? null);
  const list = useTodoList(filter, selected?.id);
  const readOnly = readOnlyReason(selected);
  const chooseFilter = (next: TodoFilter) => {
    setInfo(null);
    setFilter(next);
  };
  // A new todo is open: under "Done" it would vanish the moment it was added. Show every todo
  // instead, and say why the list changed.
  const onAdding = () => {
    if (filter !== 'done') return;
    setFilter('all');
    setInfo('Your new todo is open, so the list now shows all your todos.');
  };
  // A later success means the failure the banner reported is behind the user: clear it.
  const onSaved = useCallback(() => setNotice(null), []);

  const reportError = useReportError(setNotice);
  const { pending, hidden, remove } = useDeleteWithUndo(reportError);
  const loaded = flattenPages(list.data);
  const todos = loaded.filter((todo) => !hidden.has(todo.id));
  const focusAfterEscape = useFocusInPlaceOf(loaded, hidden);

  useCommitOnSignOut(pending);
  const onCreated = useRevealAdded(todos, onSaved);

  return (
    <section className="panel" aria-labelledby="todos-title" data-list-id={selected?.id}>
      <div className="panel__head">
        {header ?? (
          <h1 id="todos-title" tabIndex={-1}>
            Your todos
          </h1>
        )}
        <FilterTabs value={filter} onChange={chooseFilter} />
      </div>
      <AddTodoForm
        onError={reportError}
        onAdding={onAdding}
        onCreated={onCreated}
        listId={selected?.id}
        readOnly={readOnly}
      />
      {info ? (
        <p className="info" role="status">
          {info}
        </p>
      ) : null}
      {notice ? <FailureNotice notice={notice} onDismiss={() => setNotice(null)} /> : null}
      <TodoListBody
        list={list}
        todos={todos}
        filter={filter}
        onDelete={remove}
        onError={reportError}
        onSaved={onSaved}
        readOnly={readOnly}
      />
      <UndoToast
        pending={pending}
        returnFocusTo={headingOfList}
        focusAfterEscape={focusAfterEscape}
      />
    </section>
  );
}

/**
 * Scrolls a todo just added into view once its row shows, as little as it takes (`nearest`, the
 * page's scroll padding kept): on a phone the "New todo" field is often at the bottom of the
 * screen, and the new row, below it, would land off the screen, with nothing the person can see
 * saying it was added. The field stays on the screen with the focus in it. Returns what an add
 * calls when the API has stored it: `onSaved`, then the reveal.
 */
function useRevealAdded(todos: readonly Todo[], onSaved: () => void): (todo: Todo) => void {
  const [added, reveal] = useState<string | null>(null);
  useEffect(() => {
    if (added === null || !todos.some((todo) => todo.id === added)) return;
    const rows = document.querySelectorAll<HTMLElement>('li[data-todo-id]');
    [...rows].find((row) => row.dataset.todoId === added)?.scrollIntoView?.({ block: 'nearest' });
    reveal(null);
  }, [added, todos]);
  return useCallback(
    (todo: Todo) => {
      onSaved();
      reveal(todo.id);
    },
    [onSaved],
  );
}

/** Says why a change was not saved. */
function useReportError(setNotice: (notice: string) => void): (error: unknown) => void {
  const client = useQueryClient();
  return useCallback(
    (error: unknown) => {
      if (isApiError(error) && error.code === 'session_expired') return;
      const reason = isApiError(error) ? error.message : 'Unexpected error.';
      setNotice(`Your change was not saved. ${reason}`);
      // Not found, or not allowed: the list may have been unshared, deleted, or the person's
      // role changed while they were looking. The lists are read again, so the screen shows
      // what they may do now (a list gone falls back to their own, saying why).
      if (isApiError(error) && (error.status === 403 || error.status === 404))
        void client.invalidateQueries({ queryKey: ['lists'] });
    },
    [client, setNotice],
  );
}

/** A change the API refused, until dismissed or until a later change succeeds. */
function FailureNotice({ notice, onDismiss }: { notice: string; onDismiss: () => void }) {
  return (
    <div className="notice" role="alert">
      <span>{notice}</span>
      <button
        type="button"
        className="icon-button"
        onClick={onDismiss}
        aria-label="Dismiss message"
      >
        ✕
      </button>
    </div>
  );
}

/** The todos shown (or why there are none), with "load more" while the server has more. */
function TodoListBody({
  list,
  todos,
  filter,
  onDelete,
  onError,
  onSaved,
  readOnly,
}: {
  list: ReturnType<typeof useTodoList>;
  todos: Todo[];
  filter: TodoFilter;
  onDelete: (todo: Todo, withoutPointer: boolean) => void;
  onError: (error: unknown) => void;
  onSaved: () => void;
  readOnly: string | undefined;
}) {
  if (list.isPending) return <Loading label="Loading your todos…" />;
  if (list.isError && todos.length === 0)
    return <ErrorState error={list.error} what="your todos" onRetry={() => void list.refetch()} />;
  if (todos.length === 0)
    return <Empty title={EMPTY_TEXT[filter][0]}>{EMPTY_TEXT[filter][1]}</Empty>;
  return (
    <>
      <ul className="todos" aria-label={`${filter} todos`}>
        {todos.map((todo) => (
          <TodoItem
            key={todo.id}
            todo={todo}
            onDelete={onDelete}
            onError={onError}
            onSaved={onSaved}
            readOnly={readOnly}
          />
        ))}
      </ul>
      <LoadMore query={list} what="todos" />
    </>
  );
}

/** Signing out sends the delete waiting for its undo window, before the session ends. */
function useCommitOnSignOut(pending: PendingDelete | null): void {
  useEffect(() => {
    const flush = () => pending?.commit();
    window.addEventListener(SIGNING_OUT_EVENT, flush);
    return () => window.removeEventListener(SIGNING_OUT_EVENT, flush);
  }, [pending]);
}

/**
 * Where the focus goes when the undo notice is closed with Escape: the checkbox of the todo
 * now standing where the deleted one stood (the next, else the one before), else the heading.
 */
function useFocusInPlaceOf(
  loaded: readonly Todo[],
  hidden: ReadonlySet<string>,
): (todoId: string) => HTMLElement | null {
  const shown = useRef({ loaded, hidden });
  shown.current = { loaded, hidden };
  return useCallback((todoId: string) => {
    const { loaded, hidden } = shown.current;
    const next = todoInPlaceOf(
      loaded.map((todo) => todo.id),
      todoId,
      hidden,
    );
    const row = [...document.querySelectorAll<HTMLElement>('li[data-todo-id]')].find(
      (li) => next !== undefined && li.dataset.todoId === next,
    );
    const check = row?.querySelector<HTMLInputElement>('input[type="checkbox"]');
    return check && !check.disabled ? check : headingOfList();
  }, []);
}

function headingOfList(): HTMLElement | null {
  return document.getElementById('todos-title');
}
