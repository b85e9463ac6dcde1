import type { Db } from '../db/database.js';
import type { ListRepository } from '../lists/repository.js';
import { type AuditInput, auditRow } from '../repositories/audit.js';
import { type OwnerProfile, upsertOwner } from '../repositories/owners.js';
import { newTodoRow, type Todo, type TodoInput, toTodo } from './repository.js';

/**
 * Creates a todo in `listId` (whose write access the caller has checked) or in the owner's
 * default list, created on first use. The todo is written together with its owner's profile and its audit record, all or nothing.
 *
 * On PostgreSQL the three writes are one statement (data-modifying `WITH`, PostgreSQL 15
 * §7.8.4) inside the transaction: three round trips (BEGIN, the statement, COMMIT) instead of
 * five. The explicit COMMIT is kept on purpose: a connection lost before it is sent stores
 * nothing, so a 503 answered then means "not written" (an autocommitted statement could be
 * stored while its answer is lost). The writes touch different tables without foreign keys
 * between them, so sharing one snapshot changes nothing. SQLite runs in-process, where each
 * statement costs no round trip.
 */
export async function createTodo(
  db: Db,
  profile: OwnerProfile,
  input: TodoInput,
  audit: Omit<AuditInput, 'resource'>,
  now: Date,
  target: { lists: ListRepository; listId?: string | undefined },
): Promise<Todo> {
  const listId = target.listId ?? (await target.lists.ensureDefault(profile, now));
  const row = newTodoRow(db, profile, listId, input, now);
  const record = auditRow({ ...audit, resource: `todo:${row.id}` }, now);
  await db.kysely.transaction().execute(async (tx) => {
    if (db.dialect === 'postgres') {
      await tx
        .with('owner', (q) => upsertOwner(q, profile, now).returning('sub'))
        .with('todo', (q) => q.insertInto('todos').values(row).returning('id'))
        .insertInto('audit_log')
        .values(record)
        .execute();
      return;
    }
    await tx.insertInto('todos').values(row).execute();
    await upsertOwner(tx, profile, now).execute();
    await tx.insertInto('audit_log').values(record).execute();
  });
  return toTodo(row);
}
