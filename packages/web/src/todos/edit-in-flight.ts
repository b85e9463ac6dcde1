import { useEffect, useRef, useState } from 'react';
import type { Todo, TodoPatch } from '../api/types.js';
import { type Draft, settleDraft } from '../drafts/use-draft.js';
import { PAGE_LOAD as PAGE } from '../sync/page-load.js';

/**
 * An edit of a todo on its way to the API, remembered in `sessionStorage` until the API answers.
 * The edit's drafts keep the typed text meanwhile, so a page that goes before the answer (a
 * reload) opens the form again with it. But the API may have stored the edit before the page
 * went: this record lets the next load tell, from the todo as the API now has it, whether the
 * edit arrived, instead of offering text that is already saved.
 *
 * Stored under the drafts' prefix, so it goes with them (sign-out, another person on the tab).
 */
const key = (id: string) => `todo-sso.draft.edit.${id}.sending`;
const EDIT_RECORD = /^todo-sso\.draft\.edit\.(.+)\.sending$/;

export interface EditSending {
  /** Tells this send from a later one of the same todo. */
  readonly nonce: string;
  readonly page: string;
  /** As sent: trimmed, notes null when empty. */
  readonly title: string;
  readonly description: string | null;
  /** The version the edit was based on (sent as If-Match), when known. */
  readonly base: number | undefined;
}

function read(id: string): EditSending | null {
  try {
    const raw = window.sessionStorage.getItem(key(id));
    return raw ? (JSON.parse(raw) as EditSending) : null;
  } catch {
    return null;
  }
}

function write(id: string, record: EditSending | null): void {
  try {
    if (record) window.sessionStorage.setItem(key(id), JSON.stringify(record));
    else window.sessionStorage.removeItem(key(id));
  } catch {
    // Storage full or disabled: the drafts alone put the text back after a reload.
  }
}

/** Remembers an edit of todo `id` that is being sent now; returns what `forgetEdit` needs. */
export function rememberEdit(id: string, patch: TodoPatch, base: number | undefined): string {
  const nonce = PAGE + Math.random().toString(36).slice(2);
  const title = patch.title ?? '';
  write(id, { nonce, page: PAGE, title, description: patch.description ?? null, base });
  return nonce;
}

/** The API answered the edit `nonce` of todo `id`: forget it (not a later one). */
export function forgetEdit(id: string, nonce: string): void {
  if (read(id)?.nonce === nonce) write(id, null);
}

/**
 * The edits of page loads still open in another tab (this tab is a duplicate of it, with a copy
 * of its storage) are that tab's to settle: this tab forgets its copies, and the drafts of the
 * text sent, so that its form is closed as the other tab's is, not reopened as if a reload had
 * left the edit unanswered.
 */
export function leaveEditsTo(open: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = Object.keys(window.sessionStorage);
  } catch {
    return;
  }
  for (const name of names) {
    const id = EDIT_RECORD.exec(name)?.[1];
    const sent = id === undefined ? null : read(id);
    if (id === undefined || !sent || !open.has(sent.page)) continue;
    write(id, null);
    settleDraft(`edit.${id}.title`, sent.title);
    settleDraft(`edit.${id}.description`, sent.description ?? '');
  }
}

export type EditArrival = 'saved' | 'not saved' | 'changed elsewhere';

/**
 * Whether `sent` reached the API, judged from `todo` as the API now has it: saved when it holds
 * the title and notes sent and its version moved past the edit's base; changed elsewhere when
 * the version moved but the content is not what was sent (another person's change on a shared
 * list is not taken for this one); else not saved.
 */
export function arrivalOf(todo: Todo, sent: EditSending): EditArrival {
  const same = todo.title === sent.title && (todo.description ?? null) === sent.description;
  if (sent.base === undefined) return same ? 'saved' : 'not saved';
  const moved = todo.version > sent.base;
  if (!moved) return 'not saved';
  return same ? 'saved' : 'changed elsewhere';
}

/** What the edit form does with an edit an earlier page load left unanswered. */
export interface LeftBehindEdit {
  readonly title: Draft;
  readonly description: Draft;
  readonly setEditing: (editing: boolean) => void;
  /** The version the reopened form's next save is based on. */
  readonly setEditBase: (base: number | undefined) => void;
  /** Shows "changed elsewhere" with `todo` as saved and the edit sent. */
  readonly onConflict: (mine: TodoPatch, theirs: Todo) => void;
}

/**
 * On the first load after a page went while an edit of `todo` was on its way: when the API
 * stored it, the form closes and its drafts go; when it did not, the form stays open with the
 * text, saving from the edit's base; when someone else changed the todo, the form stays and the
 * conflict shows. Nothing is sent again. Returns what to tell the person, if anything, and how
 * to stop telling it (an edit of the todo was saved since).
 */
export function useEditLeftBehind(
  todo: Todo,
  edit: LeftBehindEdit,
): { readonly outcome: string | undefined; clear(): void } {
  const [outcome, setOutcome] = useState<string>();
  const latest = useRef({ todo, edit });
  latest.current = { todo, edit };
  useEffect(() => {
    const { todo, edit } = latest.current;
    const sent = read(todo.id);
    if (!sent || sent.page === PAGE) return;
    write(todo.id, null);
    const arrival = arrivalOf(todo, sent);
    if (arrival === 'saved') {
      edit.title.clear();
      edit.description.clear();
      edit.setEditing(false);
      setOutcome(`Your edit of “${sent.title}” was saved before the page was reloaded.`);
      return;
    }
    edit.setEditBase(sent.base);
    if (!edit.title.value) {
      // The person's words are never lost: the drafts went, the record still has them.
      edit.title.set(sent.title);
      edit.description.set(sent.description ?? '');
      edit.setEditing(true);
    }
    if (arrival === 'changed elsewhere') {
      edit.onConflict({ title: sent.title, description: sent.description }, todo);
      return;
    }
    setOutcome(
      `Your edit of “${sent.title}” was not saved before the page was reloaded: it is back in the form.`,
    );
  }, []);
  return { outcome, clear: () => setOutcome(undefined) };
}
