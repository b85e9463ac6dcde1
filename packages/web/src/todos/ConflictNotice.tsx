import type { Todo, TodoPatch } from '../api/types.js';

/** A change the API refused because the todo changed elsewhere (412), with both versions. */
export interface Conflict {
  mine: TodoPatch;
  theirs: Todo;
}

function describe(fields: {
  title?: string | null | undefined;
  description?: string | null | undefined;
  completed?: boolean | null | undefined;
}) {
  return (
    <dl className="conflict__fields">
      {fields.title != null ? (
        <>
          <dt>Title</dt>
          <dd dir="auto">{fields.title}</dd>
        </>
      ) : null}
      {fields.description !== undefined ? (
        <>
          <dt>Notes</dt>
          <dd dir="auto">{fields.description || '—'}</dd>
        </>
      ) : null}
      {fields.completed != null ? (
        <>
          <dt>State</dt>
          <dd>{fields.completed ? 'done' : 'open'}</dd>
        </>
      ) : null}
    </dl>
  );
}

/**
 * "Changed elsewhere": the version now saved (someone else's, or another tab's) next to the
 * change this page tried to make, so the person chooses instead of one silently winning.
 */
export function ConflictNotice({
  conflict,
  onKeepTheirs,
  onSaveMine,
}: {
  conflict: Conflict;
  onKeepTheirs: () => void;
  onSaveMine: () => void;
}) {
  const { theirs, mine } = conflict;
  return (
    <section className="conflict" role="alert" aria-label="Changed elsewhere">
      <p className="conflict__title">
        <strong>Changed elsewhere.</strong> This todo was changed in another tab or by someone else
        after you opened it, so your change was not saved.
      </p>
      <div className="conflict__versions">
        <div data-testid="conflict-theirs">
          <h3>Saved now</h3>
          {describe(theirs)}
        </div>
        <div data-testid="conflict-mine">
          <h3>Your change</h3>
          {describe(mine)}
        </div>
      </div>
      <div className="conflict__actions">
        <button type="button" className="button button--primary button--small" onClick={onSaveMine}>
          Save mine
        </button>
        <button type="button" className="button button--small" onClick={onKeepTheirs}>
          Keep theirs
        </button>
      </div>
    </section>
  );
}
