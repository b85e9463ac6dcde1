// Why this file is long: the one statement of `GET /todos/` in both engines (PostgreSQL's LATERAL
// read, SQLite's read of small and large lists, the JSON each engine builds) is kept together, so
// that the two stay the same page.
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
export const COLUMNS = [
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
export type Param = (name: keyof PageValues) => any;

/**
 * One list's newest todos after the cursor, at most `limit` of them, as `alias`: an index range
 * scan of `todos_list_created` (or `todos_list_completed_created`) from the top, never more.
 * Keyset on the row value (`created_at`, `id`), which both engines compare in index order.
 */
function newestOfList(db: Db, shape: PageShape, param: Param, alias: 'x' | 'y' = 'x') {
  return listNewestFirst(db, shape, param, alias).limit(param('limit'));
}

/** The todos of list `m` after the cursor, newest first, as `alias` (`newestOfList` unbounded). */
function listNewestFirst(db: Db, shape: PageShape, param: Param, alias: 'x' | 'y') {
  // biome-ignore lint/suspicious/noExplicitAny: the correlated reference to `m` is typed by the caller
  const q = (db.kysely as Kysely<any>)
    .selectFrom(`todos as ${alias}`)
    .whereRef(`${alias}.list_id`, '=', 'm.list_id');
  return afterCursor(shape, param, alias, q)
    .orderBy(`${alias}.created_at`, 'desc')
    .orderBy(`${alias}.id`, 'desc');
}

// biome-ignore lint/suspicious/noExplicitAny: a query over aliases of `todos` and `list_members`
type AnyQuery = SelectQueryBuilder<any, any, any>;

/** `q` with the shape's filters on the todos of `alias`: completed or not, after the cursor. */
export function afterCursor(shape: PageShape, param: Param, alias: string, q: AnyQuery): AnyQuery {
  let filtered = q;
  if (shape.completed) filtered = filtered.where(`${alias}.completed`, '=', param('completed'));
  if (shape.cursor)
    filtered = filtered.where((eb) =>
      eb(
        eb.refTuple(`${alias}.created_at`, `${alias}.id`),
        '<',
        eb.tuple(param('at'), param('id')),
      ),
    );
  return filtered;
}

/**
 * The page's rows as one JSON value built by the engine, newest first: the response body of the
 * page as if it were the last (`{"items":[…],"nextCursor":null}`, see `pageBody`). A driver pays for every
 * row it hands over (libsql converts each row into an object with a key per column,
 * node-postgres parses each row and turns each timestamp into a `Date`), so one value of ~5 KB
 * costs much less than 21 rows.
 *
 * Both engines write each todo as the API's JSON object (`Todo`: its keys in the schema's
 * order, timestamps as ISO 8601 text in UTC to the millisecond as `Date#toISOString` writes
 * them, `completed` a JSON boolean), so the text can become the response body as it is
 * (`pageBody`); `count` says whether it holds a todo past the page. SQLite stores the ISO text
 * and builds the objects with `json_object`, and hands the array over as its UTF-8 bytes. PostgreSQL writes the objects as text, compact like
 * `JSON.stringify` (its `json_build_object` puts a space around each `:`): the strings through
 * `to_json`, which escapes as RFC 8259 §7 requires (`"`, `\`, control characters) and as
 * `JSON.stringify` does; the ids (uuid), the version (integer) and `completed` (`true` or
 * `false`) as PostgreSQL prints them. The column is `text`, so node-postgres hands it over
 * without parsing it.
 */
export function pageJson(db: Db) {
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
      sql<string>`'{"items":[' || coalesce(string_agg(${todo}, ',' ${newestFirst}), '')
        || '],"nextCursor":null}'`.as('page'),
      sql<number>`count(*)::integer`.as('count'),
    ];
  }
  // `json('true')` is a JSON value, not text: the object holds `true`, not `"true"`. The text
  // comes back as a `BLOB` of its UTF-8 bytes (the cast changes the type, not the bytes): the
  // body is sent as those bytes, never decoded into a string and encoded again, and on the last
  // page never copied either (`pageBody`).
  return [
    sql<PageRow['page']>`cast('{"items":' || json_group_array(json_object('id', p.id,
      'listId', p.list_id, 'title', p.title, 'description', p.description,
      'completed', iif(p.completed, json('true'), json('false')),
      'createdAt', p.created_at, 'updatedAt', p.updated_at, 'version', p.version)
      ${newestFirst}) || ',"nextCursor":null}' as blob)`.as('page'),
    sql<number>`count(*)`.as('count'),
  ];
}

/** The lists the person is a member of (the one of the page's filter, when it has one), as `m`. */
export function memberships(db: Db, shape: PageShape, param: Param) {
  // biome-ignore lint/suspicious/noExplicitAny: SQLite's `list_members.list_large` is not in the shared schema
  let members = (db.kysely as Kysely<any>)
    .selectFrom('list_members as m')
    .where('m.member_issuer', '=', param('issuer'))
    .where('m.member_sub', '=', param('subject'));
  if (shape.listId) members = members.where('m.list_id', '=', param('listId'));
  return members;
}

/** At most two of the lists the person is a member of (the page's list, when it has a filter). */
export function upToTwo(db: Db, shape: PageShape, param: Param) {
  // biome-ignore lint/suspicious/noExplicitAny: a read over aliases of `list_members`
  return (db.kysely as Kysely<any>).selectFrom(
    memberships(db, shape, param).select('m.list_id').limit(sql.lit(2)).as('n'),
  );
}

/** How many lists the person is a member of, counted up to 2 (two entries of an index). */
export function listsUpToTwo(db: Db, shape: PageShape, param: Param) {
  return upToTwo(db, shape, param).select(sql<number>`count(*)`.as('lists'));
}

/**
 * PostgreSQL: each list's newest `limit` todos (`newestOfList`) by a `LATERAL` subquery, and the
 * newest `limit` of those.
 */
function lateralRows(db: Db, shape: PageShape, param: Param) {
  return memberships(db, shape, param)
    .innerJoinLateral(
      () =>
        newestOfList(db, shape, param)
          .select(COLUMNS.map((c) => `x.${c}` as const))
          .as('t'),
      (join) => join.onTrue(),
    )
    .select(COLUMNS.map((c) => `t.${c}` as const))
    .orderBy('t.created_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(param('limit'));
}

/**
 * SQLite, which has no `LATERAL`: a correlated subquery per list costs more than the list's
 * seek (its setup, and a temporary table of its rowids), so lists are read in two ways, told
 * apart by `list_members.list_large` (kept by triggers, migration 009). A small list, at most
 * `SMALL_LIST_TODOS` todos, is read whole by a plain join: all its todos are candidates anyway.
 * A large one gives the todos at least as new as its `limit`-th newest (`sinceNewest`): one
 * index range read from the top, the bound found by a scalar subquery over the same index, no
 * temporary table (a list with fewer than `limit` todos after the filters gives them all).
 * Either way at most max(`SMALL_LIST_TODOS`, `limit`) index entries per list (plus any sharing
 * the `limit`-th's `created_at` to the millisecond), and the same rows as sorting every todo of
 * every list, whatever the flag says. Only keys are sorted (`created_at`, `id`, the rowid, from
 * the index alone), once, after the union (its `limit -1`, no limit at all, keeps SQLite from
 * sorting each arm apart and merging: one temporary b-tree instead of two), and only the newest
 * `limit` rows are read from the table. Counted with callgrind (the statement alone, the bench's
 * data): a member of 51 lists of one todo 678 k instructions before the flag, 495 k after; the
 * own page of 20 todos 281 k before, 269 k after.
 */
function sqliteRows(db: Db, shape: PageShape, param: Param) {
  const keys = ['x.rowid as r', 'x.created_at as created_at', 'x.id as id'] as const;
  const small = afterCursor(
    shape,
    param,
    'x',
    memberships(db, shape, param)
      .where('m.list_large', '=', sql.lit(0))
      .innerJoin('todos as x', 'x.list_id', 'm.list_id'),
  ).select(keys);
  const large = afterCursor(
    shape,
    param,
    'x',
    memberships(db, shape, param)
      .where('m.list_large', '=', sql.lit(1))
      .innerJoin('todos as x', (join) =>
        join
          .onRef('x.list_id', '=', 'm.list_id')
          .on('x.created_at', '>=', sinceNewest(db, shape, param)),
      ),
  ).select(keys);
  // biome-ignore lint/suspicious/noExplicitAny: the union's keys are not columns of the shared schema
  const newest = (db.kysely as Kysely<any>)
    .selectFrom(small.unionAll(large).limit(sql.lit(-1)).as('u'))
    .select(['u.r', 'u.created_at', 'u.id'])
    .orderBy('u.created_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(param('limit'));
  // biome-ignore lint/suspicious/noExplicitAny: the rowid is not a column of the shared schema
  return (db.kysely as Kysely<any>)
    .selectFrom(newest.as('k'))
    .innerJoin('todos as t', 't.rowid', 'k.r')
    .select(COLUMNS.map((c) => `t.${c}` as const));
}

/**
 * The `created_at` of list `m`'s `limit`-th newest todo after the shape's filters, or `''` (older
 * than any) when it has fewer: a scalar subquery reading `limit` entries of the list's index.
 */
function sinceNewest(db: Db, shape: PageShape, param: Param) {
  const nth = listNewestFirst(db, shape, param, 'y')
    .select('y.created_at')
    .limit(sql.lit(1))
    .offset(sql<number>`${param('limit')} - 1`);
  return sql`coalesce((${nth}), '')`;
}

/**
 * The page for one shape. Each list the person is a member of gives at most `limit` rows, its
 * newest, and the page is the newest `limit` of those: the same rows as sorting every todo of
 * every list, at a cost bounded by lists × `limit` (× `SMALL_LIST_TODOS` on SQLite, for a page
 * smaller than the default) rather than by how many todos the person has (`lateralRows`,
 * `sqliteRows`). The rows come back as one JSON value (`pageJson`).
 */
function compilePage(db: Db, shape: PageShape) {
  return compileOnce<PageRow, keyof PageValues>((param) => {
    const rows =
      db.dialect === 'postgres' ? lateralRows(db, shape, param) : sqliteRows(db, shape, param);
    const page = db.kysely.selectFrom(rows.as('p')).select(pageJson(db));
    // SQLite: how many lists the page came from, for the choice of statement (`pageReader`).
    return db.dialect === 'postgres'
      ? page
      : page.select(listsUpToTwo(db, shape, param).as('lists'));
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
  return byShape((shape) => compilePage(db, shape));
}

/** `compile` memoised per combination of filters: each statement is built once per process. */
export function byShape<Q>(compile: (shape: PageShape) => Q): (shape: PageShape) => Q {
  const compiled = new Map<string, Q>();
  return (shape) => {
    const key = `${shape.listId} ${shape.completed} ${shape.cursor}`;
    let query = compiled.get(key);
    if (query === undefined) {
      query = compile(shape);
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
