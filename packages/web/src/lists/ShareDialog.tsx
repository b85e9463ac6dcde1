import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { ListMember, ShareRelation, TodoList } from '../api/types.js';
import { BusyButton } from '../ui/BusyButton.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { ErrorState, Loading } from '../ui/states.js';
import { useMembers, useRemoveMember, useShare } from './queries.js';
import { shareRefusal } from './share-refusal.js';

/**
 * Sharing a list: find a person by username or email among those who have signed in, pick
 * editor or viewer; change or remove anyone already on the list. A modal `<dialog>`, so focus
 * stays inside and Escape closes it.
 */
export function ShareDialog({ list, onClose }: { list: TodoList; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const members = useMembers(list.id);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-label={`Share “${withoutBidiControls(list.name)}”`}
      onClose={onClose}
    >
      {/* <bdi>: a direction control left open in the name cannot reach the closing quote. */}
      <h2 id="share-title">
        Share “<bdi>{list.name}</bdi>”
      </h2>
      <AddPerson list={list} />
      <h3 className="dialog__subtitle">People with access</h3>
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <ErrorState
          error={members.error}
          what="the members"
          onRetry={() => void members.refetch()}
        />
      ) : (
        <ul className="members" aria-label="Members">
          {members.data.map((member) => (
            <MemberRow key={member.sub} list={list} member={member} />
          ))}
        </ul>
      )}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={() => ref.current?.close()}>
          Done
        </button>
      </div>
    </dialog>
  );
}

function AddPerson({ list }: { list: TodoList }) {
  const id = useId();
  const [handle, setHandle] = useState('');
  const [relation, setRelation] = useState<ShareRelation>('editor');
  // What came of the last Share: a refusal is said as one (an alert, in the danger colour), not
  // in the grey of "Shared with …", where it could pass for a success.
  const [message, setMessage] = useState<{ text: string; refused: boolean } | null>(null);
  const share = useShare(list.id);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const who = handle.trim();
    if (!who || share.isPending) return;
    setMessage(null);
    share.mutate(
      { username: who, relation },
      {
        onSuccess: () => {
          setHandle('');
          setMessage({ text: `Shared with ${who} as ${relation}.`, refused: false });
        },
        onError: (error) => setMessage({ text: shareRefusal(error, who), refused: true }),
      },
    );
  };
  return (
    <form className="share-form" onSubmit={submit}>
      <label htmlFor={`${id}-who`} className="label">
        Username or email
      </label>
      <input
        id={`${id}-who`}
        className="input"
        value={handle}
        autoComplete="off"
        onChange={(event) => setHandle(event.target.value)}
      />
      <label htmlFor={`${id}-role`} className="label">
        Share as
      </label>
      <select
        id={`${id}-role`}
        className="input"
        value={relation}
        onChange={(event) => setRelation(event.target.value as ShareRelation)}
      >
        <option value="editor">editor: changes todos</option>
        <option value="viewer">viewer: reads only</option>
      </select>
      <BusyButton type="submit" className="button button--primary" busy={share.isPending}>
        Share
      </BusyButton>
      {message ? (
        <p
          className={message.refused ? 'share-form__refused' : 'muted'}
          role={message.refused ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      ) : null}
    </form>
  );
}

function MemberRow({ list, member }: { list: TodoList; member: ListMember }) {
  const share = useShare(list.id);
  const remove = useRemoveMember(list.id);
  const name = member.username ?? member.sub;
  // A username is written at the identity provider by anyone who can sign up there: shown
  // isolated (dir="auto"), and without direction controls where it is part of a sentence or
  // of a control's accessible name (Unicode UTS #55).
  const said = withoutBidiControls(name);
  // The latest failed change, said in the row: a refusal must not pass unseen.
  const failed = remove.isError
    ? { what: `${said} was not removed`, error: remove.error }
    : share.isError
      ? { what: `The role of ${said} was not changed`, error: share.error }
      : null;
  if (member.relation === 'owner') {
    return (
      <li className="members__row">
        <span className="members__name" dir="auto">
          {name}
        </span>
        <span className="muted">owner</span>
      </li>
    );
  }
  return (
    <li className="members__row">
      <span className="members__name" dir="auto">
        {name}
      </span>
      {/* While a change is under way the field and the button are busy, not disabled, so the
          keyboard focus stays on the one used (as `BusyButton`); a change meanwhile is ignored. */}
      <select
        className="input input--small"
        aria-label={`Role of ${said}`}
        value={member.relation}
        disabled={member.username === null}
        aria-disabled={share.isPending ? true : undefined}
        onChange={(event) => {
          if (share.isPending) return;
          remove.reset();
          share.mutate({ username: name, relation: event.target.value as ShareRelation });
        }}
      >
        <option value="editor">editor</option>
        <option value="viewer">viewer</option>
      </select>
      <BusyButton
        className="button button--small button--danger"
        aria-label={`Remove ${said}`}
        disabled={member.username === null}
        busy={remove.isPending}
        onClick={() => {
          share.reset();
          remove.mutate(name);
        }}
      >
        Remove
      </BusyButton>
      {failed ? (
        <p className="members__error" role="alert">
          {failed.what}: {isApiError(failed.error) ? failed.error.message : 'try again.'}
        </p>
      ) : null}
    </li>
  );
}
