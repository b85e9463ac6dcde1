import { type FormEvent, useId, useRef, useState } from 'react';
import { useDraft } from '../drafts/use-draft.js';
import { useCreateTodo } from './queries.js';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;

/**
 * The "new todo" form. The field empties as soon as the todo shows (optimistically), but the
 * text stays in its draft until the API has accepted it: a refused write puts it back, and a
 * sign-in round trip forced by an expired session finds it again on return.
 */
export function AddTodoForm({ onError }: { onError: (error: unknown) => void }) {
  const id = useId();
  const title = useDraft('new.title');
  const description = useDraft('new.description');
  const [showDetails, setShowDetails] = useState(Boolean(description.value));
  const titleRef = useRef<HTMLInputElement>(null);
  const create = useCreateTodo();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = title.value.trim();
    if (!trimmed) {
      titleRef.current?.focus();
      return;
    }
    const typed = { title: title.value, description: description.value };
    const input = { title: trimmed, description: description.value.trim() || undefined };
    title.hide();
    description.hide();
    setShowDetails(false);
    titleRef.current?.focus();
    create.mutate(input, {
      onSuccess: () => {
        title.settle(typed.title);
        description.settle(typed.description);
      },
      onError: (error) => {
        title.set(typed.title);
        description.set(typed.description);
        if (input.description) setShowDetails(true);
        onError(error);
      },
    });
  };

  return (
    <form className="add" onSubmit={submit} aria-label="Add a todo">
      <div className="add__row">
        <label htmlFor={`${id}-title`} className="visually-hidden">
          New todo
        </label>
        <input
          ref={titleRef}
          id={`${id}-title`}
          className="input add__title"
          placeholder="What needs doing?"
          value={title.value}
          dir="auto"
          maxLength={TITLE_MAX}
          autoComplete="off"
          onChange={(event) => title.set(event.target.value)}
        />
        <button type="submit" className="button button--primary">
          Add
        </button>
      </div>
      {showDetails ? (
        <div className="add__details">
          <label htmlFor={`${id}-description`} className="label">
            Notes <span className="muted">(optional)</span>
          </label>
          <textarea
            id={`${id}-description`}
            className="input"
            rows={2}
            dir="auto"
            value={description.value}
            maxLength={DESCRIPTION_MAX}
            onChange={(event) => description.set(event.target.value)}
          />
        </div>
      ) : (
        <button type="button" className="link-button" onClick={() => setShowDetails(true)}>
          + Add notes
        </button>
      )}
    </form>
  );
}
