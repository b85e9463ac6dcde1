import { encodeCursor } from '../repositories/cursor.js';
import type { Page } from '../schemas/common.js';
import type { Todo } from './schemas.js';

/**
 * The one row of the page statement: `page` is the response body of the page as if it were the
 * last (`{"items":[…],"nextCursor":null}`, the todos in the API's shape, `Todo`), written by the
 * database: text from PostgreSQL, its UTF-8 bytes from SQLite (a `BLOB`, see `pageJson`: a
 * `Buffer` read directly, an `ArrayBuffer` through Kysely); `count` how many todos it holds;
 * on SQLite `lists`, how many lists the person is a member of, counted up to 2.
 */
export interface PageRow {
  readonly page: string | Uint8Array | ArrayBuffer;
  readonly count: number;
  readonly lists?: number;
}

/** The page's JSON as text, whichever form the database gave it in. */
function pageText(page: PageRow['page']): string {
  return typeof page === 'string' ? page : bytesOf(page).toString('utf8');
}

/** A `Buffer` over the same bytes, not a copy. */
function bytesOf(page: Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(page)) return page;
  return page instanceof ArrayBuffer
    ? Buffer.from(page)
    : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
}

/**
 * The page from the one row `todoPageQueries` returns: `limit` todos at most, and the cursor
 * after the last when the statement found one more.
 */
export function pageFromJson(row: PageRow | undefined, limit: number): Page<Todo> {
  const found = (JSON.parse(pageText(row?.page ?? EMPTY)) as { items: Todo[] }).items;
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

/** The body of a page without todos. */
const EMPTY = '{"items":[],"nextCursor":null}';
/** Where a todo other than the first begins in the page's JSON text. */
const NEXT_TODO = ',{"id":"';
const NEXT_TODO_BYTES = Buffer.from(NEXT_TODO);

/**
 * The response body of `GET /todos/` (a `TodoPage`) from the one row `todoPageQueries` returns:
 * `limit` todos at most, and the cursor after the last when the statement found one more.
 *
 * The statement already wrote the body of the last page in the API's JSON (both engines): when
 * no todo follows, the body is that JSON as it is (no parse, no objects, no serialisation, no
 * copy). Otherwise the one todo past the page is cut off and the cursor written after the page's
 * last. The todo past the page is found by its `,{"id":"`: inside a JSON string every `"` is
 * escaped (RFC 8259 §7), so that sequence occurs only where one todo object ends and the next
 * begins. The body is byte for byte what serialising the same page through the route's schema
 * gives (tested on both engines). SQLite's bytes stay bytes: the body is sent as the UTF-8 the
 * database wrote, never decoded into a string, counted and encoded again.
 */
export function pageBody(row: PageRow | undefined, limit: number): string | Buffer {
  const page = row?.page ?? EMPTY;
  const more = (row?.count ?? 0) > limit;
  if (typeof page !== 'string') return more ? bytesBody(bytesOf(page)) : bytesOf(page);
  if (!more) return page;
  const end = page.lastIndexOf(NEXT_TODO);
  if (end === -1) throw new RangeError('a page that continues holds a todo');
  const previous = page.lastIndexOf(NEXT_TODO, end - 1);
  const cursor = cursorOf(page.slice(previous === -1 ? '{"items":['.length : previous + 1, end));
  return `${page.slice(0, end)}],"nextCursor":"${cursor}"}`;
}

/**
 * {@link pageBody} of the UTF-8 bytes of a page that continues. The end of the body, `]` and the
 * cursor, is written over the todo past the page, which is longer (two UUIDs and a timestamp
 * against one of each, base64url-encoded), so the body is the database's buffer cut short, not a
 * copy; a copy is made only if the end ever did not fit there.
 */
function bytesBody(page: Buffer): Buffer {
  const end = page.lastIndexOf(NEXT_TODO_BYTES);
  if (end === -1) throw new RangeError('a page that continues holds a todo');
  const previous = page.lastIndexOf(NEXT_TODO_BYTES, end - 1);
  const start = previous === -1 ? '{"items":['.length : previous + 1;
  // The cursor is base64url (ASCII): one byte per character.
  const tail = `],"nextCursor":"${cursorOf(page.toString('utf8', start, end))}"}`;
  if (end + tail.length > page.length)
    return Buffer.concat([page.subarray(0, end), Buffer.from(tail, 'latin1')]);
  page.write(tail, end, 'latin1');
  return page.subarray(0, end + tail.length);
}

/** The cursor after the todo whose JSON object is `todo`. */
function cursorOf(todo: string): string {
  const last = JSON.parse(todo) as Todo;
  return encodeCursor({ at: last.createdAt, id: last.id });
}
