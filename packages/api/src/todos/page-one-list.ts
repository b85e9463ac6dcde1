import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { compileOnce } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import {
  afterCursor,
  byShape,
  COLUMNS,
  listsUpToTwo,
  type PageShape,
  type PageValues,
  type Param,
  pageJson,
  upToTwo,
} from './page.js';
import type { PageRow } from './page-body.js';

/**
 * The row of the one-list statement: the page as `todoPageQueries` gives it when the person is
 * a member of at most one list (of the list asked for, with `?list=`), and `lists`, how many
 * lists they are a member of, counted up to 2. With 2 the page is empty and not theirs: the
 * statement read nothing, and the page is `todoPageQueries`' to read.
 */
export interface OneListRow extends PageRow {
  readonly lists: number;
}

/**
 * The person's list when they are a member of exactly one, else null: an uncorrelated scalar
 * subquery, run once as the key of the index range, which with null is empty from the start.
 */
function onlyList(db: Db, shape: PageShape, param: Param) {
  return upToTwo(db, shape, param).select(
    sql<string | null>`case when count(*) = 1 then min(n.list_id) end`.as('list_id'),
  );
}

/**
 * SQLite: the page of a person who is a member of one list (everyone's default list, until
 * someone shares a list with them), or of one list asked for by `?list=`. That list's newest
 * `limit` todos after the shape's filters are one range of `todos_list_created` (or
 * `todos_list_completed_created`) read from the top and stopped at `limit`, already in the
 * page's order: no union of small and large lists, no bound found first, no sort of keys and no
 * rowid lookups after it (`todoPageQueries`' statement does all of these for any number of
 * lists). The rows are the same: the page is the newest `limit` todos of the person's lists,
 * and they have one. The list and the membership count are read in the same statement, so all
 * come from one snapshot; with two lists or more there is no list to read (`onlyList`), the
 * range is empty, and the page is left to the general statement.
 */
function compileOneList(db: Db, shape: PageShape) {
  return compileOnce<OneListRow, keyof PageValues>((param) => {
    // biome-ignore lint/suspicious/noExplicitAny: a query over aliases of `todos` and `list_members`
    const todos = (db.kysely as Kysely<any>)
      .selectFrom('todos as t')
      .where('t.list_id', '=', onlyList(db, shape, param));
    const rows = afterCursor(shape, param, 't', todos)
      .select(COLUMNS.map((c) => `t.${c}` as const))
      .orderBy('t.created_at', 'desc')
      .orderBy('t.id', 'desc')
      .limit(param('limit'));
    return db.kysely
      .selectFrom(rows.as('p'))
      .select([...pageJson(db), listsUpToTwo(db, shape, param).as('lists')]);
  });
}

/**
 * The one-list statement of `GET /todos/` for each combination of filters (SQLite only;
 * PostgreSQL's `LATERAL` read of one list is already one index range, and a second statement
 * would be a second round trip for a person in several lists), built and compiled once. Its
 * row's `lists` says whether its page is the person's (`lists` < 2).
 */
export function oneListPageQueries(
  db: Db,
): ((shape: PageShape) => (values: PageValues) => CompiledQuery<OneListRow>) | undefined {
  if (db.dialect === 'postgres') return undefined;
  return byShape((shape) => compileOneList(db, shape));
}
