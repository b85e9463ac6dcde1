import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type Db, toIso } from '../db/database.js';
import type { Owner, Relation } from '../db/schema.js';
import { listRepository } from '../lists/repository.js';
import type { AdminTodo } from '../schemas/admin.js';
import type { Page } from '../schemas/common.js';
import { keysetPage, type TodoRow } from './page.js';
import { pageBody, pageFromJson } from './page-body.js';
import { type ListOptions, pageReader } from './page-read.js';
import type { Todo, TodoInput } from './schemas.js';

export type { ListOptions } from './page-read.js';

export function toTodo(row: TodoRow): Todo {
  return {
    id: row.id,
    listId: row.list_id,
    title: row.title,
    description: row.description,
    completed: Boolean(row.completed),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    version: Number(row.version),
  };
}

/** The `todos` row of a new todo. */
export function newTodoRow(db: Db, owner: Owner, listId: string, input: TodoInput, now: Date) {
  const at = now.toISOString();
  return {
    id: randomUUID(),
    list_id: listId,
    owner_issuer: owner.issuer,
    owner_sub: owner.subject,
    title: input.title,
    description: input.description ?? null,
    completed: db.bool(input.completed ?? false),
    created_at: at,
    updated_at: at,
    version: 1,
  };
}

/** Relations that may change a list's todos. */
export const WRITERS: readonly Relation[] = ['owner', 'editor'];

type Tx = Db['kysely'];
type AdminListOptions = ListOptions & { owner?: string; issuer?: string };

/**
 * Todos, scoped in SQL to the lists a person is a member of: one join with `list_members`, so
 * a todo in a list they cannot read is indistinguishable from a missing one and a forgotten
 * check cannot leak it. Writes are further scoped to lists where they are owner or editor.
 */
export function todoRepository(db: Db) {
  const k = db.kysely;
  const lists = listRepository(db);
  const readPage = pageReader(db);
  return {
    list: async (member: Owner, options: ListOptions): Promise<Page<Todo>> =>
      pageFromJson(await readPage(member, options), options.limit),
    /** The same page as `list`, as the JSON of its response body (a `TodoPage`: text, or its UTF-8 bytes on SQLite). */
    listJson: async (member: Owner, options: ListOptions): Promise<string | Buffer> =>
      pageBody(await readPage(member, options), options.limit),
    get: (member: Owner, id: string, tx: Tx = k) => getTodo(tx, member, id),
    writable: (member: Owner, id: string, tx: Tx = k) => getTodo(tx, member, id, WRITERS),
    access: (member: Owner, id: string, tx: Tx = k) => todoAccess(tx, member, id),
    /** Creates a todo in `listId`, or in the owner's default list (created on first use). */
    create: async (owner: Owner, input: TodoInput, now: Date, tx: Tx = k, listId?: string) => {
      const list = listId ?? (await lists.ensureDefault(owner, now, tx));
      return insertTodo(db, tx, owner, list, input, now);
    },
    update: (
      member: Owner,
      id: string,
      changes: Partial<TodoInput>,
      now: Date,
      tx: Tx = k,
      expectedVersion?: number,
    ) => updateTodo(db, tx, { member, id, changes, now, expectedVersion }),
    remove: (member: Owner, id: string, tx: Tx = k, expectedVersion?: number) =>
      removeTodo(tx, writableLists(db, tx, member), id, expectedVersion),
    listAll: (options: AdminListOptions) => listAllTodos(db, options),
  };
}

/** Todos in lists the person has one of `relations` to (any relation when omitted). */
function reachable(tx: Tx, member: Owner, relations?: readonly Relation[]) {
  let q = tx
    .selectFrom('todos')
    .innerJoin('list_members as m', 'm.list_id', 'todos.list_id')
    .where('m.member_issuer', '=', member.issuer)
    .where('m.member_sub', '=', member.subject);
  if (relations) q = q.where('m.relation', 'in', relations);
  return q;
}

/** The todo's list if the person may write there, a subquery of a write's WHERE reading that
 * list's membership only; PostgreSQL: locked `FOR SHARE` until the write commits, so a change of
 * it (at any instance) waits for the write, or the write finds it gone (PostgreSQL 15 §13.2.1). */
function writableLists(db: Db, tx: Tx, member: Owner) {
  const query = tx
    .selectFrom('list_members')
    .select('list_id')
    .where('list_members.list_id', '=', sql.ref<string>('todos.list_id'))
    .where('member_issuer', '=', member.issuer)
    .where('member_sub', '=', member.subject)
    .where('relation', 'in', WRITERS);
  return db.dialect === 'postgres' ? query.forShare() : query;
}

/** One todo the person can read (holding one of `relations`, when given), or undefined. */
async function getTodo(tx: Tx, member: Owner, id: string, relations?: readonly Relation[]) {
  const row = await reachable(tx, member, relations)
    .selectAll('todos')
    .where('todos.id', '=', id)
    .executeTakeFirst();
  return row && toTodo(row);
}

/** The todo's list and the person's relation to it; undefined when they cannot read it. */
async function todoAccess(
  tx: Tx,
  member: Owner,
  id: string,
): Promise<{ listId: string; relation: Relation } | undefined> {
  const row = await reachable(tx, member)
    .select(['todos.list_id', 'm.relation'])
    .where('todos.id', '=', id)
    .executeTakeFirst();
  return row && { listId: row.list_id, relation: row.relation };
}

/** Inserts a new todo into `listId`. */
async function insertTodo(
  db: Db,
  tx: Tx,
  owner: Owner,
  listId: string,
  input: TodoInput,
  now: Date,
): Promise<Todo> {
  const row = newTodoRow(db, owner, listId, input, now);
  await tx.insertInto('todos').values(row).execute();
  return toTodo(row);
}

/**
 * Sets the given fields of a todo in a list where the person may write; `undefined` leaves
 * a field as it is. Returns the todo, or undefined when there is none they may change.
 * With `expectedVersion`, only a todo still at that version changes (a concurrent change
 * in between makes it undefined, and the caller answers 412).
 */
async function updateTodo(
  db: Db,
  tx: Tx,
  update: {
    member: Owner;
    id: string;
    changes: Partial<TodoInput>;
    now: Date;
    expectedVersion: number | undefined;
  },
): Promise<Todo | undefined> {
  const { member, id, changes, now, expectedVersion } = update;
  let query = tx
    .updateTable('todos')
    .set((eb) => ({
      ...(changes.title !== undefined && { title: changes.title }),
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.completed !== undefined && { completed: db.bool(changes.completed) }),
      updated_at: now.toISOString(),
      version: eb('version', '+', 1),
    }))
    .where('id', '=', id)
    .where('list_id', 'in', writableLists(db, tx, member));
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
  const result = await query.executeTakeFirst();
  if (result.numUpdatedRows === 0n) return undefined;
  const row = await tx
    .selectFrom('todos')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return toTodo(row);
}

/**
 * Deletes a todo in a list where the person may write (still at `expectedVersion`, when
 * given); true when one was deleted.
 */
async function removeTodo(
  tx: Tx,
  writable: ReturnType<typeof writableLists>,
  id: string,
  expectedVersion?: number,
): Promise<boolean> {
  let query = tx.deleteFrom('todos').where('id', '=', id).where('list_id', 'in', writable);
  if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
  const result = await query.executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Every owner's todos (admin), optionally by owner `sub` and/or issuer. */
async function listAllTodos(db: Db, options: AdminListOptions): Promise<Page<AdminTodo>> {
  let query = db.kysely.selectFrom('todos').selectAll();
  if (options.owner !== undefined) query = query.where('owner_sub', '=', options.owner);
  if (options.issuer !== undefined) query = query.where('owner_issuer', '=', options.issuer);
  if (options.completed !== undefined) {
    query = query.where('completed', '=', db.bool(options.completed));
  }
  return keysetPage(query, options, (row) => ({
    ...toTodo(row),
    owner: row.owner_sub,
    ownerIssuer: row.owner_issuer,
  }));
}

export type TodoRepository = ReturnType<typeof todoRepository>;
