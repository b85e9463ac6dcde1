import { encodeCursor } from '../repositories/cursor.js';
import type { Page } from '../schemas/common.js';
import type { Todo } from './schemas.js';

/** A todo as the PostgreSQL page statement returns it: `COLUMNS`' values in order. */
export type PageItem = [
  id: string,
  listId: string,
  title: string,
  description: string | null,
  completed: boolean,
  createdAt: string,
  updatedAt: string,
  version: number,
];

/**
 * The one row of the page statement. SQLite: `page` is the JSON text of an array of todos in
 * the API's shape (`Todo`), `count` how many it holds. PostgreSQL: `page` is the array of
 * `PageItem`s, already parsed by node-postgres (`json`).
 */
export interface PageRow {
  readonly page: string | PageItem[];
  readonly count?: number;
}

/** A todo of the PostgreSQL page statement in the API's shape. */
function todoOf(item: PageItem): Todo {
  return {
    id: item[0],
    listId: item[1],
    title: item[2],
    description: item[3],
    completed: Boolean(item[4]),
    createdAt: item[5],
    updatedAt: item[6],
    version: item[7],
  };
}

/**
 * The page from the one row `todoPageQueries` returns: `limit` todos at most, and the cursor
 * after the last when the statement found one more.
 */
export function pageFromJson(row: PageRow | undefined, limit: number): Page<Todo> {
  const json = row?.page ?? '[]';
  const items: Todo[] = [];
  if (typeof json === 'string') {
    const found = JSON.parse(json) as Todo[];
    for (let i = 0; i < found.length && i < limit; i += 1) items.push(found[i] as Todo);
    return { items, nextCursor: found.length > limit ? cursorAfter(items) : null };
  }
  for (let i = 0; i < json.length && i < limit; i += 1) items.push(todoOf(json[i] as PageItem));
  return { items, nextCursor: json.length > limit ? cursorAfter(items) : null };
}

/** The cursor after the last of `items` (which is not empty). */
function cursorAfter(items: readonly Todo[]): string {
  const last = items.at(-1);
  if (last === undefined) throw new RangeError('a page that continues holds a todo');
  return encodeCursor({ at: last.createdAt, id: last.id });
}

/** Where a todo other than the first begins in the SQLite page's JSON text. */
const NEXT_TODO = ',{"id":"';

/**
 * The response body of `GET /todos/` (a `TodoPage`) from the one row `todoPageQueries` returns:
 * `limit` todos at most, and the cursor after the last when the statement found one more.
 *
 * On SQLite the statement already wrote the todos as the API's JSON, so the body is that text
 * as it is, minus the one todo past the page: no parse, no objects, no serialisation. The todo
 * past the page is found by its `,{"id":"`: inside a JSON string every `"` is escaped (RFC 8259
 * §7), so that sequence occurs only where one todo object ends and the next begins. The body is
 * byte for byte what serialising the same page through the route's schema gives (tested). On
 * PostgreSQL the page is built as objects and serialised (`JSON.stringify` writes the same bytes
 * as the schema's serialiser for these keys and values).
 */
export function pageBody(row: PageRow | undefined, limit: number): string {
  const json = row?.page ?? '[]';
  if (typeof json !== 'string') return JSON.stringify(pageFromJson(row, limit));
  if ((row?.count ?? 0) <= limit) return `{"items":${json},"nextCursor":null}`;
  const end = json.lastIndexOf(NEXT_TODO);
  if (end === -1) throw new RangeError('a page that continues holds a todo');
  const previous = json.lastIndexOf(NEXT_TODO, end - 1);
  const last = JSON.parse(json.slice(previous === -1 ? 1 : previous + 1, end)) as Todo;
  const cursor = encodeCursor({ at: last.createdAt, id: last.id });
  return `{"items":${json.slice(0, end)}],"nextCursor":"${cursor}"}`;
}
