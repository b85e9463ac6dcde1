import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * `agent_clients`: the clients other than the product's own that acted for a person, with
 * their first and last use, so that the person can see and end them (`/me/agents`).
 */
export function agentClients(dialect: DialectName) {
  const time = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('agent_clients')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('sub', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('first_used_at', time, (c) => c.notNull())
        .addColumn('last_used_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('agent_clients_pk', ['issuer', 'sub', 'client_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('agent_clients').ifExists().execute();
    },
  };
}
