import type { Kysely } from 'kysely';

/**
 * An index on `idempotency_keys.location` (`/todos/{id}`): deleting a todo, or a list with its
 * todos, finds the stored answers that name it by this column and erases their copy of the
 * todo's text in the same transaction (see `forgetDeletedTodos`), without reading the whole day
 * of keys.
 */
export const idempotencyKeyLocation = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('idempotency_keys_location')
      .on('idempotency_keys')
      .column('location')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('idempotency_keys_location').ifExists().execute();
  },
};
