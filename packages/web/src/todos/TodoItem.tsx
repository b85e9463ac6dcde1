import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { currentOf } from '../api/endpoints.js';
import type { Todo } from '../api/types.js';
import { useDraft } from '../drafts/use-draft.js';
import { type Conflict, ConflictNotice } from './ConflictNotice.js';
import { isOptimistic } from './cache.js';
import { storeTodo, useUpdateTodo } from './queries.js';
import { DESCRIPTION_MAX, isTooLong, LengthCounter, TITLE_MAX } from './TitleCounter.js';

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
  onDelete: (todo: Todo) => void;
  onError: (error: unknown) => void;
  /** The API accepted a change to this todo. */
  onSaved?: () => void;
}) {
  const id = useId();
  const client = useQueryClient();
  const update = useUpdateTodo(todo.id);
  // The version an edit started from: saving sends it as If-Match, so a change made elsewhere
  // meanwhile (even one this tab has already refreshed to) is reported, never overwritten.
  const [editBase, setEditBase] = useState<number | undefined>(undefined);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  /** A 412 becomes the "changed elsewhere" notice; other failures go to `onError`. */
  const failed = (error: unknown, mine: Conflict['mine']) => {
    const theirs = currentOf(error);
    if (theirs) setConflict({ mine, theirs });
    else onError(error);
  };
  const title = useDraft(`edit.${todo.id}.title`);
  const description = useDraft(`edit.${todo.id}.description`);
  const [editing, setEditing] = useState(() => Boolean(title.value));
  const editRef = useRef<HTMLInputElement>(null);
  const editButtonRef = useRef<HTMLButtonElement>(null);
  const pending = isOptimistic(todo);
  const locked = pending || readOnly !== undefined;

  useEffect(() => {
    if (editing) editRef.current?.focus();
  }, [editing]);

  const startEditing = () => {
    title.set(todo.title);
    description.set(todo.description ?? '');
    setEditBase(todo.version);
    setConflict(null);
    setEditing(true);
  };
  const stopEditing = () => {
    title.clear();
    description.clear();
    setEditing(false);
    requestAnimationFrame(() => editButtonRef.current?.focus());
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    const nextTitle = title.value.trim();
    if (!nextTitle || isTooLong(title.value, TITLE_MAX)) return;
    if (isTooLong(description.value, DESCRIPTION_MAX)) return;
    const nextDescription = description.value.trim();
    const typed = { title: title.value, description: description.value };
    const patch = { title: nextTitle, description: nextDescription || null };
    update.mutate(
      { id: todo.id, patch, version: editBase },
      {
        onSuccess: () => {
          title.settle(typed.title);
          description.settle(typed.description);
          onSaved?.();
        },
        onError: (error) => {
          title.set(typed.title);
          description.set(typed.description);
          setEditing(true);
          failed(error, patch);
        },
      },
    );
    title.hide();
    description.hide();
    setEditing(false);
    // The form is about to leave the page: keyboard users continue from this todo's Edit button.
    requestAnimationFrame(() => editButtonRef.current?.focus());
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      stopEditing();
    }
  };

  // The checkbox is controlled: hold the new state locally from the click itself, so it never
  // flickers back while the cache update (TanStack's onMutate) is still on its way.
  const [clicked, setClicked] = useState<boolean | null>(null);
  const completed = clicked ?? todo.completed;
  const toggle = () => {
    const next = !completed;
    setClicked(next);
    update.mutate(
      { id: todo.id, patch: { completed: next } },
      {
        onError: (error) => failed(error, { completed: next }),
        onSuccess: () => onSaved?.(),
        onSettled: () => setClicked(null),
      },
    );
  };

  const conflictNotice = conflict ? (
    <ConflictNotice
      conflict={conflict}
      onKeepTheirs={() => {
        storeTodo(client, conflict.theirs);
        setConflict(null);
        if (editing) stopEditing();
      }}
      onSaveMine={() => {
        const { mine, theirs } = conflict;
        setConflict(null);
        setEditBase(theirs.version);
        update.mutate(
          { id: todo.id, patch: mine, version: theirs.version },
          {
            onSuccess: () => {
              title.clear();
              description.clear();
              setEditing(false);
              onSaved?.();
            },
            onError: (error) => failed(error, mine),
          },
        );
      }}
    />
  ) : null;

  if (editing) {
    return (
      <li className="todo todo--editing">
        {conflictNotice}
        <form className="todo__edit" onSubmit={save} onKeyDown={onKeyDown}>
          <label htmlFor={`${id}-title`} className="label">
            Title
          </label>
          <input
            ref={editRef}
            id={`${id}-title`}
            className="input"
            value={title.value}
            dir="auto"
            required
            aria-describedby={`${id}-title-count`}
            aria-invalid={isTooLong(title.value, TITLE_MAX) || undefined}
            onChange={(event) => title.set(event.target.value)}
          />
          <LengthCounter id={`${id}-title-count`} text={title.value} max={TITLE_MAX} />
          <label htmlFor={`${id}-description`} className="label">
            Notes
          </label>
          <textarea
            id={`${id}-description`}
            className="input"
            rows={2}
            dir="auto"
            value={description.value}
            aria-describedby={`${id}-description-count`}
            aria-invalid={isTooLong(description.value, DESCRIPTION_MAX) || undefined}
            onChange={(event) => description.set(event.target.value)}
          />
          <LengthCounter
            id={`${id}-description-count`}
            text={description.value}
            max={DESCRIPTION_MAX}
          />
          <div className="todo__edit-actions">
            <button type="submit" className="button button--primary">
              Save
            </button>
            <button type="button" className="button" onClick={stopEditing}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    );
  }

  return (
    <li
      className={`todo${completed ? ' todo--done' : ''}${pending ? ' todo--pending' : ''}`}
      data-todo-id={todo.id}
    >
      <input
        id={`${id}-done`}
        type="checkbox"
        className="todo__check"
        checked={completed}
        disabled={locked}
        title={readOnly}
        onChange={toggle}
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
          onClick={startEditing}
          disabled={locked}
          title={readOnly}
          aria-label={`Edit “${todo.title}”`}
        >
          Edit
        </button>
        <button
          type="button"
          className="icon-button icon-button--danger"
          onClick={() => onDelete(todo)}
          disabled={locked}
          title={readOnly}
          aria-label={`Delete “${todo.title}”`}
        >
          Delete
        </button>
      </div>
    </li>
  );
}
