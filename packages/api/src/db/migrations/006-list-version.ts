import type { Kysely } from 'kysely';

/**
 * `lists.version`: 1 at creation, one more on every change of the list itself (its name). It is
 * the list's entity tag (`ETag: "<version>"`), so renaming or deleting can be made conditional
 * on the state the client last saw (`If-Match`, RFC 9110 §13.1.1). Existing lists start at 1.
 */
export const listVersion = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('lists')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('lists').dropColumn('version').execute();
  },
};
