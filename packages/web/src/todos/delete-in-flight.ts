import type { Todo } from '../api/types.js';
import { PAGE_LOAD as PAGE } from '../sync/page-load.js';

/**
 * Deletes the person asked for, remembered in `sessionStorage` from the click until the API
 * answers them (or Undo takes them back). Leaving the page sends a delete still in its undo
 * window, but a reload ends the page before the request is on its way (the token and its DPoP
 * proof are fetched and signed asynchronously), and the delete was lost: the todo was back on
 * the next load. The next load of the tab sends what an earlier one left.
 *
 * Stored under the drafts' prefix, so they go with them (sign-out, another person on the tab).
 */
const KEY = 'todo-sso.draft.deletes';

export interface LeftDelete {
  readonly id: string;
  /** The version the delete goes with (If-Match): a todo changed elsewhere is not deleted. */
  readonly version: number;
  readonly page: string;
}

function read(): LeftDelete[] {
  try {
    const parsed: unknown = JSON.parse(window.sessionStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter(
          (item): item is LeftDelete =>
            typeof item?.id === 'string' &&
            typeof item.version === 'number' &&
            typeof item.page === 'string',
        )
      : [];
  } catch {
    return [];
  }
}

function write(items: readonly LeftDelete[]): void {
  try {
    if (items.length > 0) window.sessionStorage.setItem(KEY, JSON.stringify(items));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // Storage full or disabled: the delete then lives with this page only, as before.
  }
}

/** Remembers the delete of `todo` the person just asked for. */
export function rememberDelete(todo: Todo): void {
  write([...read().filter((item) => item.id !== todo.id), { ...pick(todo), page: PAGE }]);
}

/**
 * This tab's own edit or toggle of `todo` was answered: a delete of it this page asked for
 * meanwhile (clicked while the write was on its way) goes with the version that write made, as
 * the delete sent at the end of the undo window does (`versionAfterOwnWrites`). Else a reload
 * in the undo window left it the version before, and the next load's delete was refused as
 * changed elsewhere (412, RFC 9110 §13.1.1). A change from elsewhere still makes it fail.
 */
export function followOwnWrite(todo: Todo): void {
  const items = read();
  const behind = (item: LeftDelete) =>
    item.id === todo.id && item.page === PAGE && item.version < todo.version;
  if (!items.some(behind)) return;
  write(items.map((item) => (behind(item) ? { ...item, version: todo.version } : item)));
}

/** The delete of `id` was answered, or taken back: nothing is left to send. */
export function forgetDelete(id: string): void {
  const items = read();
  if (items.some((item) => item.id === id)) write(items.filter((item) => item.id !== id));
}

/** The deletes an earlier load of this tab asked for and never saw answered. */
export function leftDeletes(): LeftDelete[] {
  return read().filter((item) => item.page !== PAGE);
}

function pick(todo: Todo): { id: string; version: number } {
  return { id: todo.id, version: todo.version };
}

/**
 * The deletes of page loads still open in another tab (this tab is a duplicate of it, with a
 * copy of its storage) are that tab's: it sends them, or its Undo takes them back. This tab
 * forgets its copies and never sends them.
 */
export function leaveDeletesTo(open: ReadonlySet<string>): void {
  const items = read();
  if (items.some((item) => open.has(item.page)))
    write(items.filter((item) => !open.has(item.page)));
}
