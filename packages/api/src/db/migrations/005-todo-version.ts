import type { Kysely } from 'kysely';

/**
 * `todos.version`: 1 at creation, one more on every change. It is the todo's entity tag
 * (`ETag: "<version>"`), so a client can make a change conditional on the state it last saw
 * (`If-Match`, RFC 9110 §13.1.1) instead of silently overwriting someone else's.
 */
export const todoVersion = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('todos')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('todos').dropColumn('version').execute();
  },
};
