import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { ApiError } from '../http/problem.js';

type Tx = Db['kysely'];

/**
 * A stored answer whose todo was deleted: its copy of the todo (`body`) and the hash of the
 * request's text (`fingerprint`) are erased, the row kept. Deleting a todo deletes its title and
 * description, and so do the keys that created it, in the delete's transaction: they are not
 * kept for the rest of the key's day. The row stays so that a retry with the key is not a new
 * create of what was deleted: it is answered 404 ({@link refuseForgotten}).
 */
const FORGOTTEN = '';

const erased = { body: FORGOTTEN, fingerprint: FORGOTTEN, etag: null } as const;

/** Erases the stored answers that created the todo `id` (after it was deleted). */
export async function forgetDeletedTodo(tx: Tx, id: string): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set(erased)
    .where('location', '=', `/todos/${id}`)
    .execute();
}

/** Erases the stored answers that created the list `id` (after it was deleted): its name. */
export async function forgetDeletedList(tx: Tx, id: string): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set(erased)
    .where('location', '=', `/lists/${id}`)
    .execute();
}

/**
 * Erases the stored answers that created a todo of list `listId`, before the list is deleted
 * with its todos (foreign keys cascade). Only while the list is still at `expectedVersion`, when
 * given, as the delete that follows in the same transaction.
 */
export async function forgetTodosOfList(
  tx: Tx,
  listId: string,
  expectedVersion?: number,
): Promise<void> {
  let todos = tx
    .selectFrom('todos')
    .innerJoin('lists', 'lists.id', 'todos.list_id')
    .select(sql<string>`'/todos/' || todos.id`.as('location'))
    .where('lists.id', '=', listId);
  if (expectedVersion !== undefined) todos = todos.where('lists.version', '=', expectedVersion);
  await tx.updateTable('idempotency_keys').set(erased).where('location', 'in', todos).execute();
}

/**
 * A retry whose key's todo (or list) was deleted since, its text with it: the stored answer
 * cannot be given (it would show what no longer exists as created), nor may the retry create it
 * again. Answered as it is now, 404, whatever the request: the draft's "result of the
 * previously completed operation" (draft-ietf-httpapi-idempotency-key-header, enforcement
 * scenarios) is gone with the deletion.
 */
export function refuseForgotten(body: string, what: 'todo' | 'list' = 'todo'): void {
  if (body !== FORGOTTEN) return;
  throw new ApiError(
    what === 'todo' ? 'idempotency_key_todo_deleted' : 'idempotency_key_list_deleted',
    `The ${what} created with this Idempotency-Key has been deleted since; it is not created again`,
  );
}
