import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/** The name of the list every person gets on first use and every earlier todo moves into. */
export const DEFAULT_LIST_NAME = 'My todos';

/** Owners given a default list per INSERT statement (SQLite's default limit is 32766 values). */
const BATCH = 500;

/**
 * Lists and who may use them. Every todo moves into its owner's default list (created here for
 * each person who has a todo or a profile); id, title, description, state and timestamps stay
 * as they were. The list's owner is also its first member (relation `owner`), so "the todos I
 * can read" is one join of `todos` with `list_members`.
 */
export function lists(dialect: DialectName) {
  const pg = dialect === 'postgres';
  const uuid = pg ? sql`uuid` : sql`text`;
  const time = pg ? sql`timestamptz` : sql`text`;
  const bool = pg ? sql`boolean` : sql`integer`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('lists')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('owner_issuer', 'text', (c) => c.notNull())
        .addColumn('owner_sub', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_default', bool, (c) => c.notNull().defaultTo(pg ? sql`false` : 0))
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      // At most one default list per person: creating it on first use is an insert that a
      // concurrent first request cannot duplicate.
      await sql`create unique index lists_one_default on lists (owner_issuer, owner_sub) where ${sql.raw(pg ? 'is_default' : 'is_default = 1')}`.execute(
        db,
      );

      await db.schema
        .createTable('list_members')
        .addColumn('list_id', uuid, (c) => c.notNull().references('lists.id').onDelete('cascade'))
        .addColumn('member_issuer', 'text', (c) => c.notNull())
        .addColumn('member_sub', 'text', (c) => c.notNull())
        .addColumn('relation', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('list_members_pk', ['list_id', 'member_issuer', 'member_sub'])
        .execute();
      // "Which lists can this person read": the leading columns of every access-scoped query.
      await db.schema
        .createIndex('list_members_member')
        .on('list_members')
        .columns(['member_issuer', 'member_sub', 'list_id', 'relation'])
        .execute();

      await createDefaultLists(db, dialect);
      await sql`insert into list_members (list_id, member_issuer, member_sub, relation, created_at)
        select id, owner_issuer, owner_sub, 'owner', created_at from lists`.execute(db);

      if (pg) await addListIdPostgres(db);
      else await rebuildSqliteTodos(db, true);
      // A page of one list's todos, or of several lists' todos merged, is an index range scan.
      await db.schema
        .createIndex('todos_list_created')
        .on('todos')
        .columns(['list_id', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('todos_list_completed_created')
        .on('todos')
        .columns(['list_id', 'completed', 'created_at', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('todos_list_completed_created').ifExists().execute();
      await db.schema.dropIndex('todos_list_created').ifExists().execute();
      if (pg) await db.schema.alterTable('todos').dropColumn('list_id').execute();
      else await rebuildSqliteTodos(db, false);
      await db.schema.dropTable('list_members').ifExists().execute();
      await db.schema.dropTable('lists').ifExists().execute();
    },
  };
}

/** One default list for each person who owns a todo or has a profile. */
async function createDefaultLists(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const { rows } = await sql<{ issuer: string; sub: string }>`
    select owner_issuer as issuer, owner_sub as sub from todos
    union
    select issuer, sub from owners`.execute(db);
  const now = new Date().toISOString();
  const isDefault = dialect === 'postgres' ? sql`true` : sql`1`;
  for (let i = 0; i < rows.length; i += BATCH) {
    const values = rows
      .slice(i, i + BATCH)
      .map(
        (row) =>
          sql`(${randomUUID()}, ${row.issuer}, ${row.sub}, ${DEFAULT_LIST_NAME}, ${isDefault}, ${now}, ${now})`,
      );
    await sql`insert into lists (id, owner_issuer, owner_sub, name, is_default, created_at, updated_at)
      values ${sql.join(values)}`.execute(db);
  }
}

async function addListIdPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`alter table todos add column list_id uuid references lists (id) on delete cascade`.execute(
    db,
  );
  await sql`update todos t set list_id = l.id from lists l
    where l.owner_issuer = t.owner_issuer and l.owner_sub = t.owner_sub and l.is_default`.execute(
    db,
  );
  await sql`alter table todos alter column list_id set not null`.execute(db);
}

/**
 * SQLite cannot add a NOT NULL column with a foreign key to a table holding rows, nor drop one,
 * so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter): a copy with or
 * without `list_id`, every row copied as it is, the old table dropped, the copy renamed, its
 * indexes recreated.
 */
async function rebuildSqliteTodos(db: Kysely<unknown>, withList: boolean): Promise<void> {
  const listColumn = withList
    ? sql`, list_id text not null references lists (id) on delete cascade`
    : sql``;
  await sql`create table todos_next (
    id text primary key,
    owner_issuer text not null,
    owner_sub text not null,
    title text not null,
    description text,
    completed integer not null default 0,
    created_at text not null,
    updated_at text not null${listColumn}
  )`.execute(db);
  const columns = sql`id, owner_issuer, owner_sub, title, description, completed, created_at, updated_at`;
  if (withList) {
    await sql`insert into todos_next (${columns}, list_id)
      select ${columns},
        (select l.id from lists l where l.owner_issuer = todos.owner_issuer
          and l.owner_sub = todos.owner_sub and l.is_default = 1)
      from todos`.execute(db);
  } else {
    await sql`insert into todos_next (${columns}) select ${columns} from todos`.execute(db);
  }
  await sql`drop table todos`.execute(db);
  await sql`alter table todos_next rename to todos`.execute(db);
  await db.schema
    .createIndex('todos_owner_created')
    .on('todos')
    .columns(['owner_issuer', 'owner_sub', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('todos_owner_completed_created')
    .on('todos')
    .columns(['owner_issuer', 'owner_sub', 'completed', 'created_at', 'id'])
    .execute();
  await db.schema.createIndex('todos_created').on('todos').columns(['created_at', 'id']).execute();
}
