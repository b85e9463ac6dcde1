import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { compileOnce } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import {
  afterCursor,
  COLUMNS,
  memberships,
  type PageShape,
  type PageValues,
  type Param,
  pageJson,
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
 * How many lists the person is a member of (of the page's list, when it has a filter), counted
 * up to 2: a read of at most two entries of `list_members_member`.
 */
function listsUpToTwo(db: Db, shape: PageShape, param: Param) {
  // biome-ignore lint/suspicious/noExplicitAny: a count over aliases of `list_members`
  return (db.kysely as Kysely<any>)
    .selectFrom(
      memberships(db, shape, param).select(sql.lit(1).as('one')).limit(sql.lit(2)).as('n'),
    )
    .select(sql<number>`count(*)`.as('lists'));
}

/**
 * SQLite: the page of a person who is a member of one list (everyone's default list, until
 * someone shares a list with them), or of one list asked for by `?list=`. That list's newest
 * `limit` todos after the shape's filters are one range of `todos_list_created` (or
 * `todos_list_completed_created`) read from the top and stopped at `limit`, already in the
 * page's order: no union of small and large lists, no bound found first, no sort of keys and no
 * rowid lookups after it (`todoPageQueries`' statement does all of these for any number of
 * lists). The rows are the same: the page is the newest `limit` todos of the person's lists,
 * and they have one. The membership count is read in the same statement, so both come from one
 * snapshot; a count of 2 (more lists) stops the read before it starts (the condition does not
 * depend on a row, so SQLite tests it once, first) and leaves the page to the general statement.
 */
function compileOneList(db: Db, shape: PageShape) {
  return compileOnce<OneListRow, keyof PageValues>((param) => {
    // biome-ignore lint/suspicious/noExplicitAny: a query over aliases of `todos` and `list_members`
    const todos = (db.kysely as Kysely<any>)
      .selectFrom('todos as t')
      .where((eb) => eb(listsUpToTwo(db, shape, param), '=', sql.lit(1)))
      .where('t.list_id', '=', memberships(db, shape, param).select('m.list_id'));
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
  const compiled = new Map<string, ReturnType<typeof compileOneList>>();
  return (shape) => {
    const key = `${shape.listId} ${shape.completed} ${shape.cursor}`;
    let query = compiled.get(key);
    if (query === undefined) {
      query = compileOneList(db, shape);
      compiled.set(key, query);
    }
    return query;
  };
}
