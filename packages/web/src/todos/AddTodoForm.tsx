import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { isApiError } from '../api/errors.js';
import type { Todo } from '../api/types.js';
import { type Draft, useDraft } from '../drafts/use-draft.js';
import { withoutBidiControls } from '../ui/shown-text.js';
import { type AddRecord, type AddRequest, rememberAdd } from './add-in-flight.js';
import { useCreateTodo } from './queries.js';
import {
  DESCRIPTION_MAX,
  isTooLong,
  LengthCounter,
  NotesInput,
  TITLE_MAX,
} from './TitleCounter.js';
import { useUnansweredAdd } from './use-unanswered-add.js';

export { DESCRIPTION_MAX, TITLE_MAX };

/**
 * The "new todo" form. The field empties as soon as the todo shows (optimistically), but the
 * text stays in its draft until the API has accepted it: a refused write puts it back, and a
 * sign-in round trip forced by an expired session finds it again on return. A title or notes
 * over the limit stay whole in the field, with a counter, and are not sent.
 */
export function AddTodoForm({
  onError,
  onAdding,
  onCreated,
  listId,
  readOnly,
}: {
  onError: (error: unknown) => void;
  /** The list new todos go into (else the caller's default list). */
  listId?: string | undefined;
  /** Why the caller may not add todos here, when they may not: the form is shown disabled. */
  readOnly?: string | undefined;
  /** A todo is on its way to the API (it shows at once, optimistically). */
  onAdding?: () => void;
  /** The API accepted the new todo. */
  onCreated?: (todo: Todo) => void;
}) {
  const id = useId();
  const form = useAddTodo({ listId, readOnly, onAdding, onCreated, onError });
  const { title, description } = form;
  const askNotes = useNotesAsked(id, form.showDetails, form.setShowDetails);
  return (
    <form className="add" onSubmit={form.submit} aria-label="Add a todo">
      <div className="add__row">
        <label htmlFor={`${id}-title`} className="visually-hidden">
          New todo
        </label>
        <input
          ref={form.titleRef}
          id={`${id}-title`}
          className="input add__title"
          placeholder="What needs doing?"
          value={title.value}
          dir="auto"
          autoComplete="off"
          aria-describedby={`${id}-title-count`}
          aria-invalid={isTooLong(title.value, TITLE_MAX) || undefined}
          disabled={readOnly !== undefined}
          title={readOnly}
          onChange={(event) => title.set(event.target.value)}
        />
        <button
          type="submit"
          className="button button--primary"
          aria-disabled={form.tooLong}
          disabled={readOnly !== undefined}
          title={readOnly}
        >
          Add
        </button>
      </div>
      {readOnly ? (
        <p className="muted" data-testid="read-only-note">
          {readOnly}.
        </p>
      ) : null}
      <LengthCounter id={`${id}-title-count`} text={title.value} max={TITLE_MAX} />
      {form.unanswered.outcomes.map((outcome) => (
        <p key={outcome.id} className="info" role="status">
          {outcome.text}
        </p>
      ))}
      {form.showDetails ? (
        <NotesField id={id} description={description} />
      ) : (
        <button
          type="button"
          className="link-button"
          disabled={readOnly !== undefined}
          onClick={askNotes}
        >
          + Add notes
        </button>
      )}
    </form>
  );
}

/**
 * Shows the notes field when "+ Add notes" is pressed. The button gives way to the field, and
 * the focus goes into it, where the person asked to write, rather than to the page's body with
 * the button it was on.
 */
function useNotesAsked(id: string, shown: boolean, show: (shown: boolean) => void): () => void {
  const asked = useRef(false);
  useEffect(() => {
    if (!shown || !asked.current) return;
    asked.current = false;
    document.getElementById(`${id}-description`)?.focus();
  }, [shown, id]);
  return () => {
    asked.current = true;
    show(true);
  };
}

/**
 * The state of the "new todo" form: its drafts, whether the notes field shows, and `submit`,
 * which adds the todo optimistically and puts the typed text back if the API refuses it.
 */
function useAddTodo({
  listId,
  readOnly,
  onAdding,
  onCreated,
  onError,
}: {
  listId: string | undefined;
  readOnly: string | undefined;
  onAdding: (() => void) | undefined;
  onCreated: ((todo: Todo) => void) | undefined;
  onError: (error: unknown) => void;
}) {
  const title = useDraft('new.title');
  const description = useDraft('new.description');
  const [showDetails, setShowDetails] = useState(Boolean(description.value));
  const titleRef = useRef<HTMLInputElement>(null);
  /** The fields' text now (read when an add is answered, after the person may have typed). */
  const typedSince = useRef({ title: title.value, description: description.value });
  typedSince.current = { title: title.value, description: description.value };
  const create = useCreateTodo(listId);
  const unanswered = useUnansweredAdd(title, description);
  const tooLong =
    isTooLong(title.value, TITLE_MAX) || isTooLong(description.value, DESCRIPTION_MAX);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = title.value.trim();
    if (readOnly) return;
    if (!trimmed || tooLong) {
      titleRef.current?.focus();
      return;
    }
    const typed = { title: title.value, description: description.value };
    const notes = description.value.trim();
    const request: AddRequest = {
      path: '/todos/',
      body: { title: trimmed, ...(notes && { description: notes }), ...(listId && { listId }) },
    };
    title.hide();
    description.hide();
    setShowDetails(false);
    titleRef.current?.focus();
    onAdding?.();
    unanswered.dismiss();
    // Until the API answers: a reload meanwhile sends the same request with the same key again.
    const key = rememberAdd(request, typed);
    // Settled per add: `mutate`'s own callbacks run for the latest call only, so an add that
    // failed while the next was on its way was never reported and its text never came back.
    create.mutateAsync({ request, key }).then(
      (todo) => {
        title.settle(typed.title);
        description.settle(typed.description);
        onCreated?.(todo);
      },
      (error: unknown) => {
        onError(error);
        // Text typed since (the next todo, during the retries) is the person's: it stays, and
        // the add that failed is named instead of taking its place.
        if (typedOther(typedSince.current, typed))
          return sayNotAdded(error, () => unanswered.say(key, notAddedOutcome(trimmed)));
        title.set(typed.title);
        description.set(typed.description);
        if (notes) setShowDetails(true);
      },
    );
  };
  return {
    title,
    description,
    showDetails,
    setShowDetails,
    titleRef,
    tooLong,
    submit,
    unanswered,
  };
}

/** Whether the fields hold text the person typed after sending `sent` (the next todo). */
function typedOther(now: AddRecord['typed'], sent: AddRecord['typed']): boolean {
  const other = (text: string, was: string) => text !== '' && text !== was;
  return other(now.title, sent.title) || other(now.description, sent.description);
}

/** Says an add failed, unless the session ended (the app signs in again, and sends it after). */
function sayNotAdded(error: unknown, say: () => void): void {
  if (!(isApiError(error) && error.code === 'session_expired')) say();
}

/** An add failed after the person typed the next todo: its text is said, not put back. */
function notAddedOutcome(title: string): string {
  return `“${withoutBidiControls(title)}” was not added, and the field keeps what you typed since. Add it again if it is still needed.`;
}

/** The optional notes of a new todo, with their counter. */
function NotesField({ id, description }: { id: string; description: Draft }) {
  return (
    <div className="add__details">
      <label htmlFor={`${id}-description`} className="label">
        Notes <span className="muted">(optional)</span>
      </label>
      <NotesInput id={id} notes={description} />
    </div>
  );
}
