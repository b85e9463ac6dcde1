import { type FormEvent, useId, useRef, useState } from 'react';
import type { TodoList } from '../api/types.js';
import { BusyButton } from '../ui/BusyButton.js';
import { useConfirmFocus } from '../ui/confirm-focus.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { useRenameList } from './queries.js';

export type Renaming = ReturnType<typeof useRenaming>;

/**
 * Renaming a list (with `If-Match`, in `useRenameList`): whether the field is open, its text,
 * and where the focus goes when it closes: the renamed heading once saved, else Rename.
 */
export function useRenaming(
  list: TodoList,
  onError: (error: unknown) => void,
  onStart: () => void,
) {
  const [active, setActive] = useState(false);
  const [name, setName] = useState(list.name);
  /** Set when a rename is saved: the focus then goes to the renamed heading. */
  const saved = useRef(false);
  const button = useRef<HTMLButtonElement>(null);
  const rename = useRenameList();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || rename.isPending) return;
    onStart();
    rename.mutate(
      { list, name: trimmed },
      {
        onSuccess: () => {
          saved.current = true;
          setActive(false);
        },
        onError,
      },
    );
  };
  return {
    active,
    name,
    setName,
    saving: rename.isPending,
    submit,
    button,
    start: () => {
      saved.current = false;
      setName(list.name);
      setActive(true);
    },
    cancel: () => setActive(false),
    returnTo: () => (saved.current ? document.getElementById('todos-title') : button.current),
  };
}

/**
 * The list's name as the screen's heading, or the rename field in its place. The heading shows
 * the name unchanged (isolated by `dir="auto"`); its accessible name, which screen readers also
 * list among the page's headings, is the name without direction controls.
 */
export function ListName({ list, renaming }: { list: TodoList; renaming: Renaming }) {
  const named = withoutBidiControls(list.name);
  if (!renaming.active)
    return (
      <h1 id="todos-title" tabIndex={-1} dir="auto" aria-label={named}>
        {list.name}
      </h1>
    );
  return (
    <>
      {/* The screen keeps its level-one heading while the name is a field. */}
      <h1 className="visually-hidden" dir="auto" aria-label={named}>
        {list.name}
      </h1>
      <RenameForm
        name={renaming.name}
        saving={renaming.saving}
        onChange={renaming.setName}
        onSubmit={renaming.submit}
        onCancel={renaming.cancel}
        returnTo={renaming.returnTo}
      />
    </>
  );
}

/**
 * The list's name in a field, in place of the heading while it is being renamed: the field has
 * the focus, Escape cancels, and the focus returns to Rename (or to the heading once saved).
 */
function RenameForm({
  name,
  saving,
  onChange,
  onSubmit,
  onCancel,
  returnTo,
}: {
  name: string;
  saving: boolean;
  onChange: (name: string) => void;
  onSubmit: (event: FormEvent) => void;
  onCancel: () => void;
  returnTo: () => HTMLElement | null;
}) {
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const onKeyDown = useConfirmFocus({ container: form, initial: field, onCancel, returnTo });
  return (
    <form ref={form} className="list-head__rename" onSubmit={onSubmit} onKeyDown={onKeyDown}>
      <label htmlFor={id} className="visually-hidden">
        List name
      </label>
      <input
        ref={field}
        id={id}
        className="input"
        value={name}
        maxLength={100}
        onChange={(event) => onChange(event.target.value)}
      />
      <BusyButton type="submit" className="button button--primary" busy={saving}>
        Save name
      </BusyButton>
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
