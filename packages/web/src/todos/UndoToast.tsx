import type { PendingDelete } from './use-delete-with-undo.js';

/** "Deleted … Undo" — announced politely to screen readers, reachable by keyboard. */
export function UndoToast({ pending }: { pending: PendingDelete | null }) {
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {pending ? (
        <div className="toast">
          <span className="toast__text">
            Deleted <strong>{pending.todo.title}</strong>
          </span>
          <button type="button" className="button button--small" onClick={pending.undo}>
            Undo
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={pending.commit}
            aria-label="Dismiss"
          >
            ✕
          </button>
        </div>
      ) : null}
    </div>
  );
}
