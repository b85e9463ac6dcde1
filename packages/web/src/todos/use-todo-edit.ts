import {
  type FormEvent,
  type KeyboardEvent,
  type RefObject,
  useEffect,
  useRef,
  useState,
} from 'react';
import type { Todo } from '../api/types.js';
import { type Draft, useDraft } from '../drafts/use-draft.js';
import type { Conflict } from './ConflictNotice.js';
import { forgetEdit, rememberEdit, useEditLeftBehind } from './edit-in-flight.js';
import type { useUpdateTodo } from './queries.js';
import { DESCRIPTION_MAX, isTooLong, TITLE_MAX } from './TitleCounter.js';

type UpdateTodo = ReturnType<typeof useUpdateTodo>;

export interface TodoEdit {
  readonly editing: boolean;
  readonly title: Draft;
  readonly description: Draft;
  /** The title field, focused when editing starts. */
  readonly editRef: RefObject<HTMLInputElement | null>;
  /** The todo's Edit button, where focus returns when editing ends. */
  readonly editButtonRef: RefObject<HTMLButtonElement | null>;
  start(): void;
  stop(): void;
  save(event: FormEvent): void;
  onKeyDown(event: KeyboardEvent): void;
  /** Sends the caller's change of a conflict again, over the version that refused it. */
  overwrite(conflict: Conflict): void;
  /** What became of an edit an earlier page load (a reload) left unanswered, if anything. */
  readonly leftBehind: string | undefined;
}

/**
 * Inline editing of a todo's title and notes. The text lives in drafts, so an unsaved edit
 * survives a sign-in round trip; saving sends the version the edit started from.
 */
export function useTodoEdit(
  todo: Todo,
  update: UpdateTodo,
  failed: (error: unknown, mine: Conflict['mine']) => boolean,
  clearConflict: () => void,
  onSaved: (() => void) | undefined,
  onConflict: (conflict: Conflict) => void,
): TodoEdit {
  // The version an edit started from: saving sends it as If-Match, so a change made elsewhere
  // meanwhile (even one this tab has already refreshed to) is reported, never overwritten.
  const [editBase, setEditBase] = useState<number | undefined>(undefined);
  const title = useDraft(`edit.${todo.id}.title`);
  const description = useDraft(`edit.${todo.id}.description`);
  const [editing, setEditing] = useState(() => Boolean(title.value));
  const editRef = useRef<HTMLInputElement>(null);
  const editButtonRef = useRef<HTMLButtonElement>(null);
  const returnFocus = () => requestAnimationFrame(() => editButtonRef.current?.focus());
  const leftBehind = useEditLeftBehind(todo, {
    title,
    description,
    setEditing,
    setEditBase,
    onConflict: (mine, theirs) => onConflict({ mine, theirs }),
  });
  // What became of the edit a reload left is old news once an edit of the todo is saved.
  const saved = () => {
    leftBehind.clear();
    onSaved?.();
  };

  useEffect(() => {
    if (editing) editRef.current?.focus();
  }, [editing]);

  const start = () => {
    title.set(todo.title);
    description.set(todo.description ?? '');
    setEditBase(todo.version);
    clearConflict();
    setEditing(true);
  };
  const stop = () => {
    title.clear();
    description.clear();
    setEditing(false);
    returnFocus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      stop();
    }
  };
  const write: EditWrite = { todo, update, failed, onSaved: saved, title, description, setEditing };
  return {
    editing,
    title,
    description,
    editRef,
    editButtonRef,
    start,
    stop,
    save: (event) => saveEdit(write, editBase, event, returnFocus),
    onKeyDown,
    leftBehind: leftBehind.outcome,
    overwrite: (conflict) => {
      setEditBase(conflict.theirs.version);
      overwriteWith(write, conflict);
    },
  };
}

/** What sending an edit needs from the todo's edit state. */
interface EditWrite {
  readonly todo: Todo;
  readonly update: UpdateTodo;
  /** Whether a refused change is saved after all: the todo already holds it (a 412). */
  readonly failed: (error: unknown, mine: Conflict['mine']) => boolean;
  readonly onSaved: (() => void) | undefined;
  readonly title: Draft;
  readonly description: Draft;
  readonly setEditing: (editing: boolean) => void;
}

/**
 * Sends the edited title and notes from version `base`. The form leaves at once (the change
 * shows optimistically); a refused write puts the typed text back in the form.
 */
function saveEdit(
  { todo, update, failed, onSaved, title, description, setEditing }: EditWrite,
  base: number | undefined,
  event: FormEvent,
  returnFocus: () => void,
): void {
  event.preventDefault();
  const nextTitle = title.value.trim();
  if (!nextTitle || isTooLong(title.value, TITLE_MAX)) return;
  if (isTooLong(description.value, DESCRIPTION_MAX)) return;
  const nextDescription = description.value.trim();
  const typed = { title: title.value, description: description.value };
  const patch = { title: nextTitle, description: nextDescription || null };
  // Until the API answers: a reload meanwhile tells from the todo whether the edit arrived.
  const sending = rememberEdit(todo.id, patch, base);
  const saved = () => {
    title.settle(typed.title);
    description.settle(typed.description);
    onSaved?.();
  };
  update.mutate(
    { id: todo.id, patch, version: base },
    {
      onSettled: () => forgetEdit(todo.id, sending),
      onSuccess: saved,
      onError: (error) => {
        // Refused as changed elsewhere by a todo that already holds this text: it is saved.
        if (failed(error, patch)) return saved();
        title.set(typed.title);
        description.set(typed.description);
        setEditing(true);
      },
    },
  );
  title.hide();
  description.hide();
  setEditing(false);
  // The form is about to leave the page: keyboard users continue from this todo's Edit button.
  returnFocus();
}

/** Sends the caller's change of a conflict again, from the version that refused it. */
function overwriteWith(
  { todo, update, failed, onSaved, title, description, setEditing }: EditWrite,
  { mine, theirs }: Conflict,
): void {
  const sending = rememberEdit(todo.id, mine, theirs.version);
  const saved = () => {
    title.clear();
    description.clear();
    setEditing(false);
    onSaved?.();
  };
  update.mutate(
    { id: todo.id, patch: mine, version: theirs.version },
    {
      onSettled: () => forgetEdit(todo.id, sending),
      onSuccess: saved,
      onError: (error) => {
        if (failed(error, mine)) saved();
      },
    },
  );
}
