import { randomUUID } from 'node:crypto';
import type { Selectable, SelectQueryBuilder } from 'kysely';
import { type Db, toIso } from '../db/database.js';
import type { Owner, Schema, TodoTable } from '../db/schema.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** A todo as the API returns it. */
export interface Todo {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a caller may set on a todo. */
export interface TodoInput {
  title: string;
  description?: string | null;
  completed?: boolean;
}

/** One page of a keyset-paginated listing. */
/** A todo as an administrator sees it: with its owner's `sub` and issuer. */
export interface AdminTodo extends Todo {
  owner: string;
  ownerIssuer: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

export interface ListOptions {
  completed?: boolean;
  limit: number;
  cursor?: string;
}

export function toTodo(row: Selectable<TodoTable>): Todo {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    completed: Boolean(row.completed),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** The `todos` row of a new todo. */
export function newTodoRow(db: Db, owner: Owner, input: TodoInput, now: Date) {
  const at = now.toISOString();
  return {
    id: randomUUID(),
    owner_issuer: owner.issuer,
    owner_sub: owner.subject,
    title: input.title,
    description: input.description ?? null,
    completed: db.bool(input.completed ?? false),
    created_at: at,
    updated_at: at,
  };
}

/**
 * Todos of one owner. Every query filters by the owner in SQL, so another person's todo is
 * indistinguishable from a missing one and a forgotten check cannot leak it.
 */
export function todoRepository(db: Db) {
  const k = db.kysely;
  const owned = (owner: Owner) =>
    k
      .selectFrom('todos')
      .where('owner_issuer', '=', owner.issuer)
      .where('owner_sub', '=', owner.subject);

  return {
    /** Newest first, keyset-paginated on (`created_at`, `id`): stable under inserts. */
    async list(owner: Owner, options: ListOptions): Promise<Page<Todo>> {
      let query = owned(owner).selectAll();
      if (options.completed !== undefined) {
        query = query.where('completed', '=', db.bool(options.completed));
      }
      const result = await page(query, options);
      return {
        items: result.items.map(({ owner: _sub, ownerIssuer: _issuer, ...todo }) => todo),
        nextCursor: result.nextCursor,
      };
    },

    async get(owner: Owner, id: string): Promise<Todo | undefined> {
      const row = await owned(owner).selectAll().where('id', '=', id).executeTakeFirst();
      return row && toTodo(row);
    },

    async create(owner: Owner, input: TodoInput, now: Date, tx: Db['kysely'] = k): Promise<Todo> {
      const row = newTodoRow(db, owner, input, now);
      await tx.insertInto('todos').values(row).execute();
      return toTodo(row);
    },

    /** Sets the given fields; `undefined` leaves one as it is. Returns the todo or undefined. */
    async update(
      owner: Owner,
      id: string,
      changes: Partial<TodoInput>,
      now: Date,
      tx: Db['kysely'] = k,
    ): Promise<Todo | undefined> {
      const result = await tx
        .updateTable('todos')
        .set({
          ...(changes.title !== undefined && { title: changes.title }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.completed !== undefined && { completed: db.bool(changes.completed) }),
          updated_at: now.toISOString(),
        })
        .where('owner_issuer', '=', owner.issuer)
        .where('owner_sub', '=', owner.subject)
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return undefined;
      const row = await tx
        .selectFrom('todos')
        .selectAll()
        .where('owner_issuer', '=', owner.issuer)
        .where('owner_sub', '=', owner.subject)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return toTodo(row);
    },

    async remove(owner: Owner, id: string, tx: Db['kysely'] = k): Promise<boolean> {
      const result = await tx
        .deleteFrom('todos')
        .where('owner_issuer', '=', owner.issuer)
        .where('owner_sub', '=', owner.subject)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** Every owner's todos (admin), optionally by owner `sub` and/or issuer. */
    async listAll(
      options: ListOptions & { owner?: string; issuer?: string },
    ): Promise<Page<AdminTodo>> {
      let query = k.selectFrom('todos').selectAll();
      if (options.owner !== undefined) query = query.where('owner_sub', '=', options.owner);
      if (options.issuer !== undefined) query = query.where('owner_issuer', '=', options.issuer);
      if (options.completed !== undefined) {
        query = query.where('completed', '=', db.bool(options.completed));
      }
      return page(query, options);
    },
  };
}

type TodoQuery = SelectQueryBuilder<Schema, 'todos', Selectable<TodoTable>>;

async function page(query: TodoQuery, options: ListOptions): Promise<Page<AdminTodo>> {
  let q = query;
  if (options.cursor !== undefined) {
    const after = decodeCursor(options.cursor);
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', after.at),
        eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)]),
      ]),
    );
  }
  // One extra row tells whether another page follows without a count query.
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const items = rows
    .slice(0, options.limit)
    .map((row) => ({ ...toTodo(row), owner: row.owner_sub, ownerIssuer: row.owner_issuer }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > options.limit && last
        ? encodeCursor({ at: last.createdAt, id: last.id })
        : null,
  };
}
