import type { Kysely } from 'kysely';

/**
 * `audit_log.actor_client`: the OAuth client (`azp`, RFC 9068 §2.2 `client_id`) whose token made
 * the request, so a write by an agent is told apart from the same person's own in the web app.
 */
export const auditClient = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_log').addColumn('actor_client', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_log').dropColumn('actor_client').execute();
  },
};
