import { type FormEvent, useId, useRef, useState } from 'react';
import { isApiError, isRetriableCreate } from '../api/errors.js';
import type { TodoList } from '../api/types.js';
import { BusyButton } from '../ui/BusyButton.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { type NewList, useCreateList } from './queries.js';
import { RoleBadge } from './RoleBadge.js';

/**
 * The lists sidebar: the caller's own lists (default first), then "Shared with me" with a clear
 * empty state, and a field to create a list. Each entry shows the caller's role as a badge.
 */
export function ListsSidebar({
  lists,
  selected,
  onSelect,
  canCreate,
}: {
  lists: readonly TodoList[];
  selected: string | undefined;
  /** `focusHeading`: once the list shows, its heading takes the keyboard focus. */
  onSelect: (id: string, options?: { focusHeading: boolean }) => void;
  /** The caller's token carries `todos:write` (creating a list needs it). */
  canCreate: boolean;
}) {
  const own = lists.filter((list) => list.relation === 'owner');
  const shared = lists.filter((list) => list.relation !== 'owner');
  return (
    <nav className="sidebar" aria-label="Lists">
      <h2 className="sidebar__title">My lists</h2>
      <ListEntries lists={own} selected={selected} onSelect={onSelect} label="My lists" />
      <NewListForm canCreate={canCreate} onCreated={onSelect} />
      <h2 className="sidebar__title">Shared with me</h2>
      {shared.length === 0 ? (
        <p className="sidebar__empty" data-testid="shared-empty">
          Nothing is shared with you yet. When someone shares a list with you, it shows up here.
        </p>
      ) : (
        <ListEntries
          lists={shared}
          selected={selected}
          onSelect={onSelect}
          label="Shared with me"
        />
      )}
    </nav>
  );
}

function ListEntries({
  lists,
  selected,
  onSelect,
  label,
}: {
  lists: readonly TodoList[];
  selected: string | undefined;
  onSelect: (id: string) => void;
  label: string;
}) {
  return (
    <ul className="sidebar__lists" aria-label={label}>
      {lists.map((list) => (
        <li key={list.id}>
          {/* Named as it reads (name, role, count) without the name's direction controls,
              which would otherwise reach the role and count in the name computed from the text
              (Unicode UTS #55); the name itself is shown unchanged, isolated by dir="auto". */}
          <button
            type="button"
            className="sidebar__list"
            aria-label={`${withoutBidiControls(list.name)}, ${list.relation}, ${list.todoCount} todos`}
            aria-current={list.id === selected ? 'true' : undefined}
            onClick={() => onSelect(list.id)}
          >
            {/* One line, cut with an ellipsis when long: the title shows it whole on hover (the
                button's accessible name already holds it whole). */}
            <span className="sidebar__name" dir="auto" title={withoutBidiControls(list.name)}>
              {list.name}
            </span>
            <RoleBadge relation={list.relation} />
            <span className="sidebar__count" title={`${list.todoCount} todos`}>
              {list.todoCount}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function NewListForm({
  canCreate,
  onCreated,
}: {
  canCreate: boolean;
  onCreated: (id: string, options: { focusHeading: boolean }) => void;
}) {
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const create = useCreateList();
  // The key of a create whose outcome is unknown: sent again for the same name, so that
  // "Create list" pressed again after a lost answer gives back the list already made.
  const unanswered = useRef<NewList | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || create.isPending) return;
    setError(null);
    const kept = unanswered.current;
    const attempt = kept?.name === trimmed ? kept : { name: trimmed, key: crypto.randomUUID() };
    unanswered.current = null;
    create.mutate(attempt, {
      onSuccess: (list) => {
        // Create list pressed (not Enter in the field): the field empties, which disables the
        // button, and Chromium drops the focus of a disabled button on <body>. The heading of
        // the new list takes it instead, as after a rename, and says which list now shows.
        const focusHeading = document.activeElement === button.current;
        setName('');
        onCreated(list.id, { focusHeading });
      },
      onError: (failure) => {
        if (isRetriableCreate(failure)) unanswered.current = attempt;
        setError(isApiError(failure) ? failure.message : 'The list was not created.');
      },
    });
  };
  return (
    <form className="sidebar__new" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        New list name
      </label>
      <input
        id={id}
        className="input input--small"
        placeholder="New list"
        maxLength={100}
        value={name}
        disabled={!canCreate}
        onChange={(event) => setName(event.target.value)}
      />
      <BusyButton
        ref={button}
        type="submit"
        className="button button--small"
        disabled={!canCreate || !name.trim()}
        busy={create.isPending}
      >
        Create list
      </BusyButton>
      {error ? (
        <p className="muted" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
