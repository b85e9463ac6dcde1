import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * When the identity provider was last asked to end a pending agent's grant, and what it answered
 * when it refused (`agents/grant-ends.ts`): an operator reading `agent_grant_ends` sees how old a
 * hold is and why it has not cleared.
 */
export function agentGrantEndAttempts(dialect: DialectName) {
  const time = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('agent_grant_ends').addColumn('attempted_at', time).execute();
      await db.schema.alterTable('agent_grant_ends').addColumn('last_error', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('agent_grant_ends').dropColumn('last_error').execute();
      await db.schema.alterTable('agent_grant_ends').dropColumn('attempted_at').execute();
    },
  };
}
