import {
  type CompiledQuery,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  sql,
} from 'kysely';
import { compileOnce } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import type { Schema, TodoTable } from '../db/schema.js';
import { decodeCursor, encodeCursor } from '../repositories/cursor.js';
import type { Page } from '../schemas/common.js';
import type { PageRow } from './page-body.js';
import type { Todo } from './schemas.js';

/** The columns a todo is made of (its owner aside). */
const COLUMNS = [
  'id',
  'list_id',
  'title',
  'description',
  'completed',
  'created_at',
  'updated_at',
  'version',
] as const;

/** A `todos` row as the listing reads it. */
export type TodoRow = Pick<
  Selectable<TodoTable>,
  'id' | 'list_id' | 'title' | 'description' | 'completed' | 'created_at' | 'updated_at' | 'version'
>;

/** Which optional filters a listing has: each combination is its own compiled statement. */
export interface PageShape {
  readonly listId: boolean;
  readonly completed: boolean;
  readonly cursor: boolean;
}

/** The values of one listing, by name; those of filters the shape lacks are ignored. */
export type PageValues = Readonly<{
  issuer: string;
  subject: string;
  listId: string | undefined;
  completed: boolean | number | undefined;
  at: string | undefined;
  id: string | undefined;
  /** Rows to read: the page size plus one, which tells whether another page follows. */
  limit: number;
}>;

// biome-ignore lint/suspicious/noExplicitAny: a placeholder stands in for values of any column type
type Param = (name: keyof PageValues) => any;

/**
 * One list's newest todos after the cursor, at most `limit` of them, as `x`: an index range
 * scan of `todos_list_created` (or `todos_list_completed_created`) from the top, never more.
 * Keyset on the row value (`created_at`, `id`), which both engines compare in index order.
 */
function newestOfList(db: Db, shape: PageShape, param: Param) {
  // biome-ignore lint/suspicious/noExplicitAny: the correlated reference to `m` is typed by the caller
  let q = (db.kysely as Kysely<any>)
    .selectFrom('todos as x')
    .whereRef('x.list_id', '=', 'm.list_id');
  if (shape.completed) q = q.where('x.completed', '=', param('completed'));
  if (shape.cursor)
    q = q.where((eb) =>
      eb(eb.refTuple('x.created_at', 'x.id'), '<', eb.tuple(param('at'), param('id'))),
    );
  return q.orderBy('x.created_at', 'desc').orderBy('x.id', 'desc').limit(param('limit'));
}

/**
 * The page's rows as one JSON value built by the engine, newest first. A driver pays for every
 * row it hands over (libsql converts each row into an object with a key per column,
 * node-postgres parses each row and turns each timestamp into a `Date`), so one value of ~5 KB
 * costs much less than 21 rows.
 *
 * Both engines write each todo as the API's JSON object (`Todo`: its keys in the schema's
 * order, timestamps as ISO 8601 text in UTC to the millisecond as `Date#toISOString` writes
 * them, `completed` a JSON boolean), so the text can become the response body as it is
 * (`pageBody`); `count` says whether it holds a todo past the page. SQLite stores the ISO text
 * and builds the objects with `json_object`. PostgreSQL writes the objects as text, compact like
 * `JSON.stringify` (its `json_build_object` puts a space around each `:`): the strings through
 * `to_json`, which escapes as RFC 8259 §7 requires (`"`, `\`, control characters) and as
 * `JSON.stringify` does; the ids (uuid), the version (integer) and `completed` (`true` or
 * `false`) as PostgreSQL prints them. The column is `text`, so node-postgres hands it over
 * without parsing it.
 */
function pageJson(db: Db) {
  const newestFirst = sql`order by p.created_at desc, p.id desc`;
  if (db.dialect === 'postgres') {
    const iso = (column: string) =>
      sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const todo = sql`'{"id":"' || p.id || '","listId":"' || p.list_id
      || '","title":' || to_json(p.title)
      || ',"description":' || coalesce(to_json(p.description)::text, 'null')
      || ',"completed":' || p.completed
      || ',"createdAt":"' || ${iso('p.created_at')} || '","updatedAt":"' || ${iso('p.updated_at')}
      || '","version":' || p.version || '}'`;
    return [
      sql<string>`'[' || coalesce(string_agg(${todo}, ',' ${newestFirst}), '') || ']'`.as('page'),
      sql<number>`count(*)::integer`.as('count'),
    ];
  }
  // `json('true')` is a JSON value, not text: the object holds `true`, not `"true"`.
  return [
    sql<PageRow['page']>`json_group_array(json_object('id', p.id, 'listId', p.list_id,
      'title', p.title, 'description', p.description,
      'completed', iif(p.completed, json('true'), json('false')),
      'createdAt', p.created_at, 'updatedAt', p.updated_at, 'version', p.version)
      ${newestFirst})`.as('page'),
    sql<number>`count(*)`.as('count'),
  ];
}

/**
 * The page for one shape. Each list the person is a member of gives at most `limit` rows, its
 * newest (`newestOfList`), and the page is the newest `limit` of those: the same rows as
 * sorting every todo of every list, at a cost bounded by lists × `limit` rather than by how
 * many todos the person has. PostgreSQL runs the per-list part as a `LATERAL` subquery;
 * SQLite, which has no `LATERAL`, as a correlated `IN` on the rowid (read from the index, so each
 * of the todo's rows is one b-tree search, not two through the primary key's index). The rows
 * come back as one JSON value (`pageJson`).
 */
function compilePage(db: Db, shape: PageShape) {
  return compileOnce<PageRow, keyof PageValues>((param) => {
    let members = db.kysely
      .selectFrom('list_members as m')
      .where('m.member_issuer', '=', param('issuer'))
      .where('m.member_sub', '=', param('subject'));
    if (shape.listId) members = members.where('m.list_id', '=', param('listId'));
    const newest = newestOfList(db, shape, param);
    const joined =
      db.dialect === 'postgres'
        ? members.innerJoinLateral(
            () => newest.select(COLUMNS.map((c) => `x.${c}` as const)).as('t'),
            (join) => join.onTrue(),
          )
        : members.innerJoin('todos as t', (join) =>
            join.on(sql.ref('t.rowid'), 'in', () => newest.select(sql.ref('x.rowid').as('r'))),
          );
    const rows = joined
      .select(COLUMNS.map((c) => `t.${c}` as const))
      .orderBy('t.created_at', 'desc')
      .orderBy('t.id', 'desc')
      .limit(param('limit'));
    return db.kysely.selectFrom(rows.as('p')).select(pageJson(db));
  });
}

/**
 * The statement of `GET /todos/` for each combination of filters, built and compiled once
 * (`compileOnce`): the hottest read of the API runs with new values on every request and never
 * rebuilds its SQL. Scoped in SQL to the lists the person is a member of, newest first,
 * keyset-paginated on (`created_at`, `id`).
 */
export function todoPageQueries(
  db: Db,
): (shape: PageShape) => (values: PageValues) => CompiledQuery<PageRow> {
  const compiled = new Map<string, ReturnType<typeof compilePage>>();
  return (shape) => {
    const key = `${shape.listId} ${shape.completed} ${shape.cursor}`;
    let query = compiled.get(key);
    if (query === undefined) {
      query = compilePage(db, shape);
      compiled.set(key, query);
    }
    return query;
  };
}

/** The first `limit` of `rows` (which holds one more when another page follows), mapped. */
export function pageOf<R extends TodoRow, T extends Todo>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const items: T[] = [];
  for (const row of rows) {
    if (items.length === limit) break;
    items.push(map(row));
  }
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
  };
}

/**
 * A keyset page of any `todos` query (newest first, on `created_at`, `id`): the admin listing,
 * whose filters are few and whose reader is not on the hot path.
 */
export async function keysetPage<T extends Todo>(
  query: SelectQueryBuilder<Schema, 'todos', Selectable<TodoTable>>,
  options: { readonly limit: number; readonly cursor?: string | undefined },
  map: (row: Selectable<TodoTable>) => T,
): Promise<Page<T>> {
  let q = query;
  if (options.cursor !== undefined) {
    const position = decodeCursor(options.cursor);
    q = q.where((eb) =>
      eb(eb.refTuple('todos.created_at', 'todos.id'), '<', eb.tuple(position.at, position.id)),
    );
  }
  // One extra row tells whether another page follows without a count query.
  const rows = await q
    .orderBy('todos.created_at', 'desc')
    .orderBy('todos.id', 'desc')
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, map);
}
