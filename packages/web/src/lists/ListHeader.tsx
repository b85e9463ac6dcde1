import { type RefObject, useId, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { ListAction, TodoList } from '../api/types.js';
import { useConfirmFocus } from '../ui/confirm-focus.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { useDeleteList } from './queries.js';
import { ListName, useRenaming } from './RenameList.js';
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
  const [confirming, setConfirming] = useState(false);
  // Which opening of the sharing dialog is on screen (0: none). Each opening is its own dialog,
  // and its `close` event (which the browser sends a moment after closing it) ends that opening
  // only: Share pressed again in between opened nothing before.
  const [sharing, setSharing] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const remove = useDeleteList();

  const explain = (error: unknown) => setMessage(failureMessage(error, list));
  const renaming = useRenaming(list, explain, () => setMessage(null));
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
      <ListName list={list} renaming={renaming} />
      <RoleBadge relation={list.relation} />
      <ListActions
        list={list}
        renaming={renaming.active}
        renameRef={renaming.button}
        onRename={renaming.start}
        onShare={() => setSharing((opening) => opening + 1)}
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
      {sharing ? (
        <ShareDialog
          key={sharing}
          list={list}
          onClose={() => setSharing((opening) => (opening === sharing ? 0 : opening))}
        />
      ) : null}
    </div>
  );
}

/** Why a rename or delete was refused: a list changed elsewhere is named as it is now. */
function failureMessage(error: unknown, list: TodoList): string {
  if (isApiError(error) && error.code === 'changed_elsewhere') {
    const current = error.problem?.current as { name?: string } | undefined;
    return `This list changed meanwhile (now “${withoutBidiControls(current?.name ?? list.name)}”). Try again.`;
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
        {/* <bdi>: a direction control left open in the name cannot reorder the count after it. */}
        Delete “<bdi>{list.name}</bdi>” and its {list.todoCount} todos for everyone it is shared
        with?
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
