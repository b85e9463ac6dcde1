import type { Db } from '../db/database.js';
import type { Owner } from '../db/schema.js';
import { decodeCursor } from '../repositories/cursor.js';
import { type PageShape, type PageValues, todoPageQueries } from './page.js';
import type { PageRow } from './page-body.js';
import { oneListPageQueries } from './page-one-list.js';

/** What a person asks of `GET /todos/` (and `GET /lists/{id}/todos/`). */
export interface ListOptions {
  readonly completed?: boolean | undefined;
  /** Only this list's todos. */
  readonly listId?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/**
 * The reader of the page statement's row: newest first, keyset-paginated on (`created_at`,
 * `id`), scoped to the lists the person is a member of. On SQLite a person in one list (or
 * asking for one with `?list=`) is answered by the one-list statement alone
 * (`oneListPageQueries`); a person in more lists by the general statement (`todoPageQueries`),
 * after the one-list statement only when they were last seen in one list. Each statement is a
 * snapshot of its own, and the page comes from one of them only.
 */
export function pageReader(
  db: Db,
): (member: Owner, options: ListOptions) => Promise<PageRow | undefined> {
  const oneList = oneListPageQueries(db);
  const general = todoPageQueries(db);
  // People whose last page came from several lists (`issuer subject`). Only which statement
  // runs first depends on it, never what the page holds: both statements give the page of any
  // person, and the general one says how many lists it read, so a person who has left their
  // shared lists is back on the one-list statement at the next page.
  const several = new Set<string>();
  return async (member, options) => {
    const position = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const shape: PageShape = {
      listId: options.listId !== undefined,
      completed: options.completed !== undefined,
      cursor: position !== undefined,
    };
    const values: PageValues = {
      issuer: member.issuer,
      subject: member.subject,
      listId: options.listId,
      completed: options.completed === undefined ? undefined : db.bool(options.completed),
      at: position?.at,
      id: position?.id,
      // One extra row tells whether another page follows without a count query.
      limit: options.limit + 1,
    };
    if (oneList === undefined) return db.readFirst(general(shape)(values));
    const person = `${member.issuer} ${member.subject}`;
    if (shape.listId || !several.has(person)) {
      const row = await db.readFirst(oneList(shape)(values));
      if (row === undefined || row.lists < 2) return row;
      if (several.size >= SEVERAL_BOUND) several.clear();
      several.add(person);
    }
    const row = await db.readFirst(general(shape)(values));
    if ((row?.lists ?? 0) < 2) several.delete(person);
    return row;
  };
}

/**
 * How many people `pageReader` remembers as members of several lists (their next page goes to
 * the general statement at once, not after the one-list statement's empty read); past it, all
 * are forgotten and found again.
 */
const SEVERAL_BOUND = 10_000;
