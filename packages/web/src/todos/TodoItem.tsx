import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { type MouseEvent, type ReactNode, type RefObject, useId, useRef, useState } from 'react';
import { currentOf } from '../api/endpoints.js';
import type { Todo } from '../api/types.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { type Conflict, ConflictNotice } from './ConflictNotice.js';
import { isOptimistic } from './cache.js';
import { useFocusPassedOnRemoval } from './focus-on-removal.js';
import { storeTodo, useUpdateTodo } from './queries.js';
import { holdsChange } from './same-change.js';
import { TodoEditForm } from './TodoEditForm.js';
import { useTodoEdit } from './use-todo-edit.js';

type UpdateTodo = ReturnType<typeof useUpdateTodo>;

/**
 * One todo: a checkbox to complete it, inline editing of title and notes (Enter saves,
 * Escape cancels; an unsaved edit survives a sign-in round trip), and delete.
 */
export function TodoItem({
  todo,
  onDelete,
  onError,
  onSaved,
  readOnly,
}: {
  todo: Todo;
  /** Why the caller may not change this todo, when they may not: its controls are disabled. */
  readOnly?: string | undefined;
  /** `withoutPointer`: Delete was pressed with the keyboard or a screen reader (see PendingDelete). */
  onDelete: (todo: Todo, withoutPointer: boolean) => void;
  onError: (error: unknown) => void;
  /** The API accepted a change to this todo. */
  onSaved?: () => void;
}) {
  const id = useId();
  const client = useQueryClient();
  const update = useUpdateTodo(todo.id);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const failed = refusalOf(client, setConflict, onError);
  const edit = useTodoEdit(todo, update, failed, () => setConflict(null), onSaved, setConflict);
  const { completed, toggle } = useToggle(todo, update, failed, onSaved);
  const pending = isOptimistic(todo);
  const locked = pending || readOnly !== undefined;
  const row = useRef<HTMLLIElement>(null);
  useFocusPassedOnRemoval(row);

  const conflictNotice = conflict ? (
    <ConflictNotice
      conflict={conflict}
      onKeepTheirs={() => {
        storeTodo(client, conflict.theirs);
        setConflict(null);
        if (edit.editing) edit.stop();
      }}
      onSaveMine={() => {
        setConflict(null);
        edit.overwrite(conflict);
      }}
    />
  ) : null;
  const notices = <Notices status={edit.leftBehind}>{conflictNotice}</Notices>;

  if (edit.editing) {
    return (
      <li className="todo todo--editing" ref={row}>
        {notices}
        <TodoEditForm id={id} edit={edit} />
      </li>
    );
  }
  return (
    <li
      className={`todo${completed ? ' todo--done' : ''}${pending ? ' todo--pending' : ''}`}
      data-todo-id={todo.id}
      ref={row}
    >
      <TodoView
        id={id}
        todo={todo}
        completed={completed}
        locked={locked}
        readOnly={readOnly}
        conflictNotice={notices}
        editButtonRef={edit.editButtonRef}
        onToggle={toggle}
        onEdit={edit.start}
        onDelete={(withoutPointer) => onDelete(todo, withoutPointer)}
      />
    </li>
  );
}

/**
 * What a refused change of a todo becomes: a 412 the "changed elsewhere" notice, unless the todo
 * as saved already holds this very change (`holdsChange`): then it is saved, and shows so. Other
 * failures go to `onError`. The function returns whether the change is saved after all.
 */
function refusalOf(
  client: QueryClient,
  setConflict: (conflict: Conflict) => void,
  onError: (error: unknown) => void,
): (error: unknown, mine: Conflict['mine']) => boolean {
  return (error, mine) => {
    const theirs = currentOf(error);
    if (theirs && holdsChange(theirs, mine)) {
      storeTodo(client, theirs);
      return true;
    }
    if (theirs) setConflict({ mine, theirs });
    else onError(error);
    return false;
  };
}

/** What became of an edit a reload left unanswered (`status`), then the conflict, if any. */
function Notices({ status, children }: { status: string | undefined; children: ReactNode }) {
  return (
    <>
      {status ? (
        <p className="info" role="status">
          {status}
        </p>
      ) : null}
      {children}
    </>
  );
}

/**
 * The checkbox of a todo. It is controlled: the new state is held locally from the click
 * itself, so it never flickers back while the cache update (TanStack's onMutate) is still on
 * its way.
 */
function useToggle(
  todo: Todo,
  update: UpdateTodo,
  failed: (error: unknown, mine: Conflict['mine']) => boolean,
  onSaved: (() => void) | undefined,
) {
  const [clicked, setClicked] = useState<boolean | null>(null);
  const completed = clicked ?? todo.completed;
  const toggle = () => {
    const next = !completed;
    setClicked(next);
    update.mutate(
      { id: todo.id, patch: { completed: next } },
      {
        onError: (error) => {
          if (failed(error, { completed: next })) onSaved?.();
        },
        onSuccess: () => onSaved?.(),
        onSettled: () => setClicked(null),
      },
    );
  };
  return { completed, toggle };
}

/** The content of a todo when not being edited: checkbox, title, notes, Edit and Delete. */
function TodoView({
  id,
  todo,
  completed,
  locked,
  readOnly,
  conflictNotice,
  editButtonRef,
  onToggle,
  onEdit,
  onDelete,
}: {
  id: string;
  todo: Todo;
  completed: boolean;
  locked: boolean;
  readOnly: string | undefined;
  conflictNotice: ReactNode;
  editButtonRef: RefObject<HTMLButtonElement | null>;
  onToggle: () => void;
  onEdit: () => void;
  onDelete: (withoutPointer: boolean) => void;
}) {
  return (
    <>
      <input
        id={`${id}-done`}
        type="checkbox"
        className="todo__check"
        checked={completed}
        disabled={locked}
        title={readOnly}
        onChange={onToggle}
      />
      <div className="todo__body">
        {/* dir="auto": a title in Arabic or Hebrew reads right to left, and its direction
            marks cannot reorder the text around it (the element is bidi-isolated). */}
        <label htmlFor={`${id}-done`} className="todo__title" dir="auto">
          {todo.title}
        </label>
        {todo.description ? (
          <p className="todo__description" dir="auto">
            {todo.description}
          </p>
        ) : null}
      </div>
      {conflictNotice}
      <div className="todo__actions">
        <button
          ref={editButtonRef}
          type="button"
          className="icon-button"
          onClick={onEdit}
          disabled={locked}
          title={readOnly}
          aria-label={`Edit “${withoutBidiControls(todo.title)}”`}
        >
          Edit
        </button>
        <button
          type="button"
          className="icon-button icon-button--danger"
          onClick={(event) => {
            // The second click of a double-click: the row is gone after the first, and the next
            // todo's Delete stands under the pointer. Deleting it would also send the first
            // delete at once, beyond Undo.
            if (event.detail > 1) return;
            onDelete(isWithoutPointer(event));
          }}
          disabled={locked}
          title={readOnly}
          aria-label={`Delete “${withoutBidiControls(todo.title)}”`}
        >
          Delete
        </button>
      </div>
    </>
  );
}

/**
 * A click no pointer made: the one Enter or Space on a button sends, or a screen reader's
 * activation. A pointer's click counts its presses (`detail` 1 or more) and names its pointer.
 */
function isWithoutPointer(event: MouseEvent): boolean {
  const { pointerType } = event.nativeEvent as { pointerType?: string };
  return event.detail === 0 && !pointerType;
}
