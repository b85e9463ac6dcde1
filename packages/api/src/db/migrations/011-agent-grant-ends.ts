import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `agent_grant_ends`: an agent a person ended, while its consent and grant at the identity
 * provider are still to be ended. Written with the agent's revocation, deleted once the
 * provider ended the grant; while a row is here, every instance keeps refusing the agent's
 * tokens, new ones included, and retries the provider (`agents/grant-ends.ts`).
 */
export function agentGrantEnds(dialect: DialectName) {
  const time = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('agent_grant_ends')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('requested_at', time, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('agent_grant_ends_pk', ['issuer', 'sub', 'client_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('agent_grant_ends').ifExists().execute();
    },
  };
}
