import { encodeCursor } from '../repositories/cursor.js';
import type { Page } from '../schemas/common.js';
import type { Todo } from './schemas.js';

/**
 * The one row of the page statement: `page` is the JSON text of an array of todos in the API's
 * shape (`Todo`), written by the database, `count` how many it holds.
 */
export interface PageRow {
  readonly page: string;
  readonly count: number;
}

/**
 * The page from the one row `todoPageQueries` returns: `limit` todos at most, and the cursor
 * after the last when the statement found one more.
 */
export function pageFromJson(row: PageRow | undefined, limit: number): Page<Todo> {
  const found = JSON.parse(row?.page ?? '[]') as Todo[];
  const items: Todo[] = [];
  for (let i = 0; i < found.length && i < limit; i += 1) items.push(found[i] as Todo);
  return { items, nextCursor: found.length > limit ? cursorAfter(items) : null };
}

/** The cursor after the last of `items` (which is not empty). */
function cursorAfter(items: readonly Todo[]): string {
  const last = items.at(-1);
  if (last === undefined) throw new RangeError('a page that continues holds a todo');
  return encodeCursor({ at: last.createdAt, id: last.id });
}

/** Where a todo other than the first begins in the page's JSON text. */
const NEXT_TODO = ',{"id":"';

/**
 * The response body of `GET /todos/` (a `TodoPage`) from the one row `todoPageQueries` returns:
 * `limit` todos at most, and the cursor after the last when the statement found one more.
 *
 * The statement already wrote the todos as the API's JSON (both engines), so the body is that
 * text as it is, minus the one todo past the page: no parse, no objects, no serialisation. The
 * todo past the page is found by its `,{"id":"`: inside a JSON string every `"` is escaped
 * (RFC 8259 §7), so that sequence occurs only where one todo object ends and the next begins.
 * The body is byte for byte what serialising the same page through the route's schema gives
 * (tested on both engines).
 */
export function pageBody(row: PageRow | undefined, limit: number): string {
  const json = row?.page ?? '[]';
  if ((row?.count ?? 0) <= limit) return `{"items":${json},"nextCursor":null}`;
  const end = json.lastIndexOf(NEXT_TODO);
  if (end === -1) throw new RangeError('a page that continues holds a todo');
  const previous = json.lastIndexOf(NEXT_TODO, end - 1);
  const last = JSON.parse(json.slice(previous === -1 ? 1 : previous + 1, end)) as Todo;
  const cursor = encodeCursor({ at: last.createdAt, id: last.id });
  return `{"items":${json.slice(0, end)}],"nextCursor":"${cursor}"}`;
}
