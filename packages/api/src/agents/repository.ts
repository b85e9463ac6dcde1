import { byCodePoint } from '../db/code-point-order.js';
import type { Db } from '../db/database.js';
import { toIso } from '../db/database.js';
import type { Owner } from '../db/schema.js';

/** One agent a person allowed, as the API saw it act for them. */
export interface Agent {
  clientId: string;
  firstUsedAt: string;
  lastUsedAt: string;
}

/** The agents (clients other than the product's own) each person's tokens were issued to. */
export function agentRepository(db: Db) {
  const k = db.kysely;
  return {
    /** Records a use: the first one creates the row, later ones move `last_used_at`. */
    async touch(owner: Owner, clientId: string, now: Date): Promise<void> {
      const at = now.toISOString();
      await k
        .insertInto('agent_clients')
        .values({
          issuer: owner.issuer,
          sub: owner.subject,
          client_id: clientId,
          first_used_at: at,
          last_used_at: at,
        })
        .onConflict((oc) =>
          oc.columns(['issuer', 'sub', 'client_id']).doUpdateSet({ last_used_at: at }),
        )
        .execute();
    },

    /** A person's agents, most recently used first. */
    async list(owner: Owner): Promise<Agent[]> {
      const rows = await k
        .selectFrom('agent_clients')
        .selectAll()
        .where('issuer', '=', owner.issuer)
        .where('sub', '=', owner.subject)
        .orderBy('last_used_at', 'desc')
        .orderBy(byCodePoint(db.dialect, 'client_id'))
        .execute();
      return rows.map((row) => ({
        clientId: row.client_id,
        firstUsedAt: toIso(row.first_used_at),
        lastUsedAt: toIso(row.last_used_at),
      }));
    },

    /** Whether the person has this agent. */
    async has(owner: Owner, clientId: string): Promise<boolean> {
      const row = await k
        .selectFrom('agent_clients')
        .select('client_id')
        .where('issuer', '=', owner.issuer)
        .where('sub', '=', owner.subject)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Forgets an agent (after it was revoked); `tx` to do it with other writes. */
    async remove(owner: Owner, clientId: string, tx: Db['kysely'] = k): Promise<void> {
      await tx
        .deleteFrom('agent_clients')
        .where('issuer', '=', owner.issuer)
        .where('sub', '=', owner.subject)
        .where('client_id', '=', clientId)
        .execute();
    },
  };
}
