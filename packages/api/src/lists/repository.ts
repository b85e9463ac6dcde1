// Why this file is long: every query on lists and memberships, each scoped to the caller in SQL, sits
// in one repository so that no list read can bypass the membership join (only the creation of a
// person's own default list lives apart, in `default-list.ts`).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { byCodePoint } from '../db/code-point-order.js';
import { type Db, toIso } from '../db/database.js';
import { idExists } from '../db/exists.js';
import type { Owner, Relation } from '../db/schema.js';
import { forgetDeletedList, forgetTodosOfList } from '../todos/forget-keys.js';
import { defaultListEnsurer } from './default-list.js';
import { findPeople } from './people.js';

export type { Person } from './people.js';

/** A list as one person sees it. */
export interface List {
  id: string;
  name: string;
  relation: Relation;
  isDefault: boolean;
  todoCount: number;
  createdAt: string;
  updatedAt: string;
  /** Grows on every rename; the list's entity tag (see `http/etag.ts`). */
  version: number;
}

/** One member of a list. */
export interface Member {
  sub: string;
  username: string | null;
  relation: Relation;
}

type Tx = Db['kysely'];

/**
 * Lists and their members. Every read is scoped to the caller's membership in SQL: a list the
 * caller is not a member of is indistinguishable from a missing one.
 */
export function listRepository(db: Db, options: { readonly rememberedDefaults?: number } = {}) {
  const k = db.kysely;
  return {
    /** The id of the person's default list, created on first use (see `defaultListEnsurer`). */
    ensureDefault: defaultListEnsurer(db, options.rememberedDefaults),
    listFor: (member: Owner) => listsOf(k, db.dialect, member),
    get: (member: Owner, id: string, tx: Tx = k) => getList(tx, db.dialect, member, id),
    relation: (member: Owner, id: string, tx: Tx = k) => relationTo(tx, member, id),
    /** Whether any list has this id, whoever's (for the audit log only). */
    exists: (id: string, tx: Tx = k) => idExists(tx, 'lists', id),
    holdForWrite: (member: Owner | undefined, id: string, tx: Tx) =>
      holdForWrite(db, tx, member, id),
    /** A new list owned by `owner`, with the id `id` when given (see {@link newList}). */
    create: (owner: Owner, name: string, now: Date, tx: Tx, id?: string) =>
      createList(db, tx, owner, name, now, id),
    rename: (id: string, name: string, now: Date, tx: Tx, expectedVersion?: number) =>
      renameList(tx, id, name, now, expectedVersion),
    remove: (id: string, tx: Tx, expectedVersion?: number) =>
      removeList(db, tx, id, expectedVersion),
    members: (id: string) => membersOf(k, id),
    setMember: (id: string, person: Owner, relation: Relation, now: Date, tx: Tx) =>
      setMember(tx, id, person, relation, now),
    removeMember: (id: string, person: Owner, tx: Tx) => removeMember(tx, id, person),
    holdPerson: (person: Owner, tx: Tx) => holdPerson(db, tx, person),
    holdListOfTodo: (todoId: string, tx: Tx) => holdListOfTodo(db, tx, todoId),
    count: (person: Owner, which: 'owned' | 'shared', tx: Tx) => countLists(tx, person, which),
    /** People known by this username or email (see {@link findPeople}). */
    findPeople: (handle: string, issuer: string, memberOf?: string) =>
      findPeople(k, handle, issuer, memberOf),
  };
}

/** Lists joined with the person's memberships: only theirs. */
function memberOf(tx: Tx, member: Owner) {
  return tx
    .selectFrom('lists as l')
    .innerJoin('list_members as m', 'm.list_id', 'l.id')
    .where('m.member_issuer', '=', member.issuer)
    .where('m.member_sub', '=', member.subject);
}

/**
 * The columns of a `List`, its todo count included. On SQLite the count is the one kept by the
 * triggers of migration 009 (`lists.todo_count`, in the same transaction as every todo write);
 * PostgreSQL has no such column and counts the list's todos.
 */
function withCount(dialect: Db['dialect'], q: ReturnType<typeof memberOf>) {
  const columns = q.select([
    'l.id',
    'l.name',
    'l.is_default',
    'l.created_at',
    'l.updated_at',
    'l.version',
    'm.relation',
  ]);
  if (dialect === 'sqlite')
    return columns.select(sql<number>`${sql.ref('l.todo_count')}`.as('todo_count'));
  return columns.select((eb) =>
    eb
      .selectFrom('todos as t')
      .whereRef('t.list_id', '=', 'l.id')
      .select((e) => e.fn.countAll<string | number>().as('n'))
      .as('todo_count'),
  );
}

/**
 * Every list the person is a member of: their own default list first, then the default lists
 * others share with them, then the rest by name (ties by id). Every default list starts as
 * "My todos", so without the relation a shared one could come before the person's own.
 */
async function listsOf(k: Tx, dialect: Db['dialect'], member: Owner): Promise<List[]> {
  const rows = await withCount(dialect, memberOf(k, member))
    // A boolean on PostgreSQL, 0 or 1 on SQLite: true (1) sorts first either way.
    .orderBy(sql`(${sql.ref('m.relation')} = 'owner' and ${sql.ref('l.is_default')})`, 'desc')
    .orderBy('l.is_default', 'desc')
    .orderBy(byCodePoint(dialect, 'l.name'))
    .orderBy('l.id')
    .execute();
  return rows.map(toList);
}

/** One list with the person's relation to it, or undefined when they are not a member. */
async function getList(
  tx: Tx,
  dialect: Db['dialect'],
  member: Owner,
  id: string,
): Promise<List | undefined> {
  const row = await withCount(dialect, memberOf(tx, member))
    .where('l.id', '=', id)
    .executeTakeFirst();
  return row && toList(row);
}

/** The person's relation to a list, or undefined when they are not a member. */
async function relationTo(tx: Tx, member: Owner, id: string): Promise<Relation | undefined> {
  const row = await tx
    .selectFrom('list_members')
    .select('relation')
    .where('list_id', '=', id)
    .where('member_issuer', '=', member.issuer)
    .where('member_sub', '=', member.subject)
    .executeTakeFirst();
  return row?.relation;
}

/**
 * Inside a write's transaction: the person's relation to the list, read again and held until
 * the transaction ends, so that a todo written into the list is written by a member as of the
 * commit. On PostgreSQL the membership row is locked `FOR SHARE` and the list row `FOR KEY
 * SHARE`: a concurrent removal, change of relation or deletion of the list (another instance's)
 * waits for this transaction, or this read waits for it and then finds the row gone (READ
 * COMMITTED, PostgreSQL 15 §13.2.1). Both rows are locked here, before the insert's foreign-key
 * check, so a list deletion cannot hold the one while waiting for the other (a deadlock). On
 * SQLite the transaction holds the database's write lock from its start. Without `member` (an
 * external decision point, which may allow a person without membership here) only the list is
 * held, and the answer is `'exists'`; undefined when the list or the membership is gone.
 */
async function holdForWrite(
  db: Db,
  tx: Tx,
  member: Owner | undefined,
  id: string,
): Promise<Relation | 'exists' | undefined> {
  const pg = db.dialect === 'postgres';
  if (member === undefined) {
    const list = tx.selectFrom('lists').select('id').where('id', '=', id);
    return (await (pg ? list.forKeyShare() : list).executeTakeFirst()) ? 'exists' : undefined;
  }
  const query = memberOf(tx, member).select('m.relation').where('m.list_id', '=', id);
  const held = pg ? query.forKeyShare('l').forShare('m') : query;
  return (await held.executeTakeFirst())?.relation;
}

/**
 * Inside a todo's deletion, before the todo is touched: on PostgreSQL its list is locked `FOR KEY
 * SHARE`, the lock a deletion of the list (`removeList`, `FOR UPDATE` first) waits for or holds.
 * The list's deletion erases its todos' keys and then deletes the todos; a todo's deletion
 * deletes the todo and then erases its keys: without this, each could hold what the other waits
 * for (a deadlock, one of them failing). Now one waits for the other at the list: the todo
 * goes first, or finds itself deleted with the list (404). SQLite's transactions hold the
 * database's write lock from their start.
 */
async function holdListOfTodo(db: Db, tx: Tx, todoId: string): Promise<void> {
  if (db.dialect !== 'postgres') return;
  await tx
    .selectFrom('lists')
    .innerJoin('todos', 'todos.list_id', 'lists.id')
    .select('lists.id')
    .where('todos.id', '=', todoId)
    .forKeyShare('lists')
    .execute();
}

/** A list as its owner sees it once created with `id` at `at`, before it is written. */
export function newList(id: string, name: string, at: string): List {
  return {
    id,
    name,
    relation: 'owner',
    isDefault: false,
    todoCount: 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** A new list owned by the person. */
async function createList(
  db: Db,
  tx: Tx,
  owner: Owner,
  name: string,
  now: Date,
  id: string = randomUUID(),
): Promise<List> {
  const at = now.toISOString();
  await tx
    .insertInto('lists')
    .values({
      id,
      owner_issuer: owner.issuer,
      owner_sub: owner.subject,
      name,
      is_default: db.bool(false),
      created_at: at,
      updated_at: at,
    })
    .execute();
  await tx
    .insertInto('list_members')
    .values({
      list_id: id,
      member_issuer: owner.issuer,
      member_sub: owner.subject,
      relation: 'owner',
      created_at: at,
    })
    .execute();
  return newList(id, name, at);
}

/**
 * Renames a list and moves its version on; with `expectedVersion`, only a list still at that
 * version changes (a concurrent change in between is caught by the write itself). True when
 * a row changed.
 */
async function renameList(
  tx: Tx,
  id: string,
  name: string,
  now: Date,
  expectedVersion?: number,
): Promise<boolean> {
  let query = tx
    .updateTable('lists')
    .set((eb) => ({ name, updated_at: now.toISOString(), version: eb('version', '+', 1) }))
    .where('id', '=', id);
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletes a list (still at `expectedVersion`, when given); its todos and memberships go
 * with it (foreign keys cascade). True when a row was deleted.
 */
async function removeList(db: Db, tx: Tx, id: string, expectedVersion?: number): Promise<boolean> {
  // The keys that created its todos lose their copy of them, as the todos go. On PostgreSQL the
  // list is locked first: a create in it still open (its todo holds a key-share lock on the list)
  // commits before the keys are read, and a later one waits for the delete (then finds no list).
  // SQLite's transactions hold the database's write lock from their start.
  if (db.dialect === 'postgres')
    await tx.selectFrom('lists').select('id').where('id', '=', id).forUpdate().execute();
  await forgetTodosOfList(tx, id, expectedVersion);
  let query = tx.deleteFrom('lists').where('id', '=', id);
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
  const result = await query.executeTakeFirst();
  if (result.numDeletedRows === 0n) return false;
  // And the keys that created the list lose its name.
  await forgetDeletedList(tx, id);
  return true;
}

/** The members of a list, owner first, then by username. */
async function membersOf(k: Tx, id: string): Promise<Member[]> {
  const rows = await k
    .selectFrom('list_members as m')
    .leftJoin('owners as o', (join) =>
      join.onRef('o.issuer', '=', 'm.member_issuer').onRef('o.sub', '=', 'm.member_sub'),
    )
    .select(['m.member_sub', 'm.relation', 'o.username'])
    .where('m.list_id', '=', id)
    .execute();
  const rank = { owner: 0, editor: 1, viewer: 2 } as const;
  return rows
    .map((row) => ({ sub: row.member_sub, username: row.username, relation: row.relation }))
    .sort(
      (a, b) =>
        rank[a.relation] - rank[b.relation] ||
        (a.username ?? '').localeCompare(b.username ?? '') ||
        a.sub.localeCompare(b.sub),
    );
}

/** Adds a member or changes their relation; never the owner's (see the routes). */
async function setMember(
  tx: Tx,
  id: string,
  person: Owner,
  relation: Relation,
  now: Date,
): Promise<void> {
  await tx
    .insertInto('list_members')
    .values({
      list_id: id,
      member_issuer: person.issuer,
      member_sub: person.subject,
      relation,
      created_at: now.toISOString(),
    })
    .onConflict((oc) =>
      oc.columns(['list_id', 'member_issuer', 'member_sub']).doUpdateSet({ relation }),
    )
    .execute();
}

/** Removes a member; true when they were one. */
async function removeMember(tx: Tx, id: string, person: Owner): Promise<boolean> {
  const result = await tx
    .deleteFrom('list_members')
    .where('list_id', '=', id)
    .where('member_issuer', '=', person.issuer)
    .where('member_sub', '=', person.subject)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Inside a write's transaction: holds, until it ends, every other write that counts this
 * person's lists (`count`), so that two concurrent requests cannot both find room for one more
 * list and both add it. On PostgreSQL a transaction-level advisory lock on the person (PostgreSQL
 * 15 §9.27.10; a hash of the person's key, so two people sharing a hash only wait for each other);
 * on SQLite the transaction holds the database's write lock from its start (`BEGIN IMMEDIATE`).
 */
async function holdPerson(db: Db, tx: Tx, person: Owner): Promise<void> {
  if (db.dialect !== 'postgres') return;
  const key = `lists\n${person.issuer}\n${person.subject}`;
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
}

/** How many lists the person owns (their default list included), or has been shared. */
async function countLists(tx: Tx, person: Owner, which: 'owned' | 'shared'): Promise<number> {
  const row = await tx
    .selectFrom('list_members')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('member_issuer', '=', person.issuer)
    .where('member_sub', '=', person.subject)
    .where('relation', which === 'owned' ? '=' : '<>', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type ListRepository = ReturnType<typeof listRepository>;

function toList(row: {
  id: string;
  name: string;
  is_default: boolean | number;
  created_at: Date | string;
  updated_at: Date | string;
  version: number | string;
  relation: Relation;
  todo_count: string | number | null;
}): List {
  return {
    id: row.id,
    name: row.name,
    relation: row.relation,
    isDefault: Boolean(row.is_default),
    todoCount: Number(row.todo_count ?? 0),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    version: Number(row.version),
  };
}
