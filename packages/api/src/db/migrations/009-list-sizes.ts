import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The most todos a list may hold and still be read whole by the SQLite page statement: the
 * rows of a default page of 20 plus the one that tells whether another follows. Written into
 * the triggers below, so it is fixed with this migration.
 */
export const SMALL_LIST_TODOS = 21;

const SMALL = sql.lit(SMALL_LIST_TODOS);

/**
 * SQLite only: each list's number of todos (`lists.todo_count`) and, on every membership, whether
 * the list holds more than `SMALL_LIST_TODOS` (`list_members.list_large`), with an index that
 * finds a person's small and large lists apart. The page statement (`todos/page.ts`) reads a
 * small list whole by a plain join and a large one by its newest rows only; SQLite has no
 * `LATERAL`, and the correlated subquery that bounds a list's rows costs more than the seek.
 *
 * Triggers keep both in the same transaction as every write, whatever path it takes: a todo
 * inserted, deleted (also by a list's cascade) or moved to another list, a member added. The
 * lists' `todoCount` (`lists/repository.ts`) is read from `todo_count` on SQLite. The
 * page's rows never depend on them (either read of a list yields its newest todos); only its
 * cost does. PostgreSQL reads each list with a bounded `LATERAL` subquery and has neither: a
 * counter row per list would cost every write a statement and serialise concurrent writers of
 * one list on that row until they commit.
 */
export function listSizes(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') return;
      for (const statement of [
        sql`alter table lists add column todo_count integer not null default 0`,
        sql`update lists set todo_count = (select count(*) from todos where todos.list_id = lists.id)`,
        sql`alter table list_members add column list_large integer not null default 0`,
        sql`update list_members set list_large = 1
          where list_id in (select id from lists where todo_count > ${SMALL})`,
        sql`create index list_members_member_large
          on list_members (member_issuer, member_sub, list_large, list_id)`,
        sql`create trigger todos_count_insert after insert on todos begin
          update lists set todo_count = todo_count + 1 where id = new.list_id;
        end`,
        sql`create trigger todos_count_delete after delete on todos begin
          update lists set todo_count = todo_count - 1 where id = old.list_id;
        end`,
        sql`create trigger todos_count_move after update of list_id on todos
          when new.list_id is not old.list_id begin
          update lists set todo_count = todo_count - 1 where id = old.list_id;
          update lists set todo_count = todo_count + 1 where id = new.list_id;
        end`,
        sql`create trigger lists_large after update of todo_count on lists
          when (new.todo_count > ${SMALL}) <> (old.todo_count > ${SMALL}) begin
          update list_members set list_large = new.todo_count > ${SMALL} where list_id = new.id;
        end`,
        sql`create trigger list_members_large after insert on list_members begin
          update list_members set list_large = 1 where rowid = new.rowid
            and (select todo_count from lists where id = new.list_id) > ${SMALL};
        end`,
        sql`create trigger list_members_large_move after update of list_id on list_members begin
          update list_members set list_large = coalesce(
            (select todo_count > ${SMALL} from lists where id = new.list_id), 0)
            where rowid = new.rowid;
        end`,
      ])
        await statement.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') return;
      for (const trigger of [
        'list_members_large_move',
        'list_members_large',
        'lists_large',
        'todos_count_move',
        'todos_count_delete',
        'todos_count_insert',
      ])
        await sql`drop trigger if exists ${sql.id(trigger)}`.execute(db);
      await sql`drop index if exists list_members_member_large`.execute(db);
      await sql`alter table list_members drop column list_large`.execute(db);
      await sql`alter table lists drop column todo_count`.execute(db);
    },
  };
}
