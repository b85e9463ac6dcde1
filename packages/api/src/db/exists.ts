import type { Db } from './database.js';

/**
 * Whether `table` holds a row with this id, whoever's: tells a refusal of someone else's todo or
 * list (a denial, audited) from a miss (a plain 404). For the audit log only, never an answer.
 */
export async function idExists(tx: Db['kysely'], table: 'todos' | 'lists', id: string) {
  const row = await tx
    .selectFrom(table)
    .select(`${table}.id` as 'todos.id')
    .where(`${table}.id` as 'todos.id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}
