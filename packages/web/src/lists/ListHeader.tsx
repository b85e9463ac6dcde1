import { type FormEvent, type RefObject, useId, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { ListAction, TodoList } from '../api/types.js';
import { useConfirmFocus } from '../ui/confirm-focus.js';
import { useDeleteList, useRenameList } from './queries.js';
import { RoleBadge } from './RoleBadge.js';
import { ShareDialog } from './ShareDialog.js';

/** Why a control is disabled, shown as its tooltip. */
const NEEDS: Record<ListAction, string> = {
  can_read: 'You cannot read this list',
  can_update: 'Only the owner can rename this list',
  can_delete: 'Only the owner can delete this list',
  can_share: 'Only the owner can share this list',
  can_create_todo: 'You can view this list but not change its todos',
};

/**
 * The selected list's name, the caller's role and what they may do to it: rename, share,
 * delete. A control the caller may not use is shown disabled, decided by the list's `actions`.
 * Renaming and deleting send `If-Match`, so a list changed elsewhere is never overwritten.
 */
export function ListHeader({ list, onDeleted }: { list: TodoList; onDeleted: () => void }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(list.name);
  const [confirming, setConfirming] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  /** Set when a rename is saved: the focus then goes to the renamed heading. */
  const saved = useRef(false);
  const renameButton = useRef<HTMLButtonElement>(null);
  const rename = useRenameList();
  const remove = useDeleteList();

  const explain = (error: unknown) => setMessage(failureMessage(error, list));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setMessage(null);
    rename.mutate(
      { list, name: trimmed },
      {
        onSuccess: () => {
          saved.current = true;
          setRenaming(false);
        },
        onError: explain,
      },
    );
  };
  const deleteList = () =>
    remove.mutate(list, {
      onSuccess: () => {
        setConfirming(false);
        onDeleted();
      },
      onError: (error) => {
        setConfirming(false);
        explain(error);
      },
    });

  return (
    <div className="list-head">
      {renaming ? (
        <>
          {/* The screen keeps its level-one heading while the name is a field. */}
          <h1 className="visually-hidden" dir="auto">
            {list.name}
          </h1>
          <RenameForm
            name={name}
            saving={rename.isPending}
            onChange={setName}
            onSubmit={submit}
            onCancel={() => setRenaming(false)}
            returnTo={() =>
              saved.current ? document.getElementById('todos-title') : renameButton.current
            }
          />
        </>
      ) : (
        <h1 id="todos-title" tabIndex={-1} dir="auto">
          {list.name}
        </h1>
      )}
      <RoleBadge relation={list.relation} />
      <ListActions
        list={list}
        renaming={renaming}
        renameRef={renameButton}
        onRename={() => {
          saved.current = false;
          setName(list.name);
          setRenaming(true);
        }}
        onShare={() => setSharing(true)}
        onDelete={() => setConfirming(true)}
      />
      {confirming ? (
        <ConfirmDelete list={list} onDelete={deleteList} onKeep={() => setConfirming(false)} />
      ) : null}
      {message ? (
        <p className="notice" role="alert">
          {message}
        </p>
      ) : null}
      {sharing ? <ShareDialog list={list} onClose={() => setSharing(false)} /> : null}
    </div>
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
      <button type="submit" className="button button--primary" disabled={saving}>
        Save name
      </button>
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** Why a rename or delete was refused: a list changed elsewhere is named as it is now. */
function failureMessage(error: unknown, list: TodoList): string {
  if (isApiError(error) && error.code === 'changed_elsewhere') {
    const current = error.problem?.current as { name?: string } | undefined;
    return `This list changed meanwhile (now “${current?.name ?? list.name}”). Try again.`;
  }
  return isApiError(error) ? error.message : 'Your change was not saved.';
}

/** Rename, Share and Delete list, each disabled (with the reason) when the caller may not. */
function ListActions({
  list,
  renaming,
  renameRef,
  onRename,
  onShare,
  onDelete,
}: {
  list: TodoList;
  renaming: boolean;
  renameRef: RefObject<HTMLButtonElement | null>;
  onRename: () => void;
  onShare: () => void;
  onDelete: () => void;
}) {
  const may = (action: ListAction) => list.actions.includes(action);
  return (
    <div className="list-head__actions">
      <button
        ref={renameRef}
        type="button"
        className="button button--small"
        disabled={!may('can_update') || renaming}
        title={may('can_update') ? undefined : NEEDS.can_update}
        onClick={onRename}
      >
        Rename
      </button>
      <button
        type="button"
        className="button button--small"
        disabled={!may('can_share')}
        title={may('can_share') ? undefined : NEEDS.can_share}
        onClick={onShare}
      >
        Share
      </button>
      <button
        type="button"
        className="button button--small button--danger"
        disabled={!may('can_delete') || list.isDefault}
        title={
          list.isDefault
            ? 'Your default list cannot be deleted'
            : may('can_delete')
              ? undefined
              : NEEDS.can_delete
        }
        onClick={onDelete}
      >
        Delete list
      </button>
    </div>
  );
}

/** The question before a list is deleted for everyone it is shared with. */
function ConfirmDelete({
  list,
  onDelete,
  onKeep,
}: {
  list: TodoList;
  onDelete: () => void;
  onKeep: () => void;
}) {
  const descriptionId = useId();
  const box = useRef<HTMLDivElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  // The safe answer has the focus; once deleted, the heading of the list shown instead.
  const onKeyDown = useConfirmFocus({
    container: box,
    initial: keep,
    onCancel: onKeep,
    fallback: () => document.getElementById('todos-title'),
  });
  return (
    <div
      ref={box}
      className="notice"
      role="alertdialog"
      aria-label="Delete this list?"
      aria-describedby={descriptionId}
      onKeyDown={onKeyDown}
    >
      <span id={descriptionId}>
        Delete “{list.name}” and its {list.todoCount} todos for everyone it is shared with?
      </span>
      <button type="button" className="button button--small button--danger" onClick={onDelete}>
        Delete
      </button>
      <button ref={keep} type="button" className="button button--small" onClick={onKeep}>
        Keep it
      </button>
    </div>
  );
}

/** Why the todo controls of a list are disabled, when they are. */
export function readOnlyReason(list: TodoList | undefined): string | undefined {
  if (!list || list.actions.includes('can_create_todo')) return undefined;
  return NEEDS.can_create_todo;
}
