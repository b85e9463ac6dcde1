import type { Draft } from '../drafts/use-draft.js';

/** The API's limits on a todo (`title` 1–200 characters, `description` up to 2000). */
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;

/**
 * Characters as the API counts them: JSON Schema's `maxLength` counts code points
 * (RFC 8259 strings, JSON Schema Validation §6.3.1), not UTF-16 units.
 */
export function lengthOf(text: string): number {
  return [...text].length;
}

/** Is `text` too long for a field whose limit is `max`? */
export function isTooLong(text: string, max: number): boolean {
  return lengthOf(text) > max;
}

/**
 * "12 / 200" under a text field, so a pasted text is never cut silently: the field keeps all
 * of it (no `maxLength`), the counter says how far over the limit it is, and saving waits.
 */
export function LengthCounter({ id, text, max }: { id: string; text: string; max: number }) {
  const length = lengthOf(text);
  const over = length - max;
  if (length === 0) return null;
  return (
    <p
      id={id}
      className={`counter${over > 0 ? ' counter--over' : ''}`}
      data-testid="length-counter"
      aria-live={over > 0 ? 'polite' : 'off'}
    >
      {length} / {max}
      {over > 0 ? ` — ${over} over the limit, shorten it to save` : ''}
    </p>
  );
}

/** The notes textarea with its counter, as the add and edit forms both show it (label apart). */
export function NotesInput({ id, notes }: { id: string; notes: Draft }) {
  return (
    <>
      <textarea
        id={`${id}-description`}
        className="input"
        rows={2}
        dir="auto"
        value={notes.value}
        aria-describedby={`${id}-description-count`}
        aria-invalid={isTooLong(notes.value, DESCRIPTION_MAX) || undefined}
        onChange={(event) => notes.set(event.target.value)}
      />
      <LengthCounter id={`${id}-description-count`} text={notes.value} max={DESCRIPTION_MAX} />
    </>
  );
}
