import type { Kysely } from 'kysely';

/**
 * `audit_log.suppressed`: how many further denials of the same subject, in the same minute,
 * this denial record stands for. Denials beyond the per-subject budget are counted, not
 * written one by one, so one caller cannot grow the log without bound.
 */
export const auditSuppressed = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('audit_log')
      .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_log').dropColumn('suppressed').execute();
  },
};
