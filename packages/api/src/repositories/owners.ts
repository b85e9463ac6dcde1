import { type QueryCreator, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Owner, Schema } from '../db/schema.js';
import type { OwnerSummary } from '../schemas/admin.js';

/** What the API remembers of a todo owner from their latest token. */
export interface OwnerProfile extends Owner {
  readonly username: string | null;
  readonly email: string | null;
  readonly department: string | null;
}

/** Counts per state (reports). */
export interface StateCounts {
  total: number;
  completed: number;
  pending: number;
}

/** The statement recording (or refreshing) an owner's profile, not yet executed. */
export function upsertOwner(db: QueryCreator<Schema>, profile: OwnerProfile, now: Date) {
  const values = {
    username: profile.username,
    email: profile.email,
    department: profile.department,
    last_seen_at: now.toISOString(),
  };
  return db
    .insertInto('owners')
    .values({ issuer: profile.issuer, sub: profile.subject, ...values })
    .onConflict((oc) => oc.columns(['issuer', 'sub']).doUpdateSet(values));
}

/** Owners and the aggregate queries over them. */
export function ownerRepository(db: Db) {
  const k = db.kysely;
  return {
    /** Records (or refreshes) an owner's profile; called in the transaction of each write. */
    async touch(profile: OwnerProfile, now: Date, tx: Db['kysely'] = k): Promise<void> {
      await upsertOwner(tx, profile, now).execute();
    },

    /** Every owner with todo counts, by username. */
    async summaries(): Promise<OwnerSummary[]> {
      const rows = await k
        .selectFrom('owners as o')
        .leftJoin('todos as t', (join) =>
          join.onRef('t.owner_issuer', '=', 'o.issuer').onRef('t.owner_sub', '=', 'o.sub'),
        )
        .select(['o.issuer', 'o.sub', 'o.username', 'o.email', 'o.department'])
        .select((eb) => [
          eb.fn.count<string | number>('t.id').as('todos'),
          eb.fn
            .sum<string | number | null>(
              sql`case when t.completed = ${db.bool(true)} then 1 else 0 end`,
            )
            .as('completed'),
        ])
        .groupBy(['o.issuer', 'o.sub', 'o.username', 'o.email', 'o.department'])
        .orderBy('o.username')
        .orderBy('o.sub')
        .execute();
      return rows.map((row) => ({
        issuer: row.issuer,
        sub: row.sub,
        username: row.username,
        email: row.email,
        department: row.department,
        todos: Number(row.todos),
        completed: Number(row.completed ?? 0),
      }));
    },

    /** Todo counts per state for the owners of one department, or of all when undefined. */
    async departmentCounts(department: string | undefined): Promise<StateCounts> {
      let query = k
        .selectFrom('todos as t')
        .innerJoin('owners as o', (join) =>
          join.onRef('t.owner_issuer', '=', 'o.issuer').onRef('t.owner_sub', '=', 'o.sub'),
        );
      if (department !== undefined) query = query.where('o.department', '=', department);
      const rows = await query
        .select(['t.completed'])
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .groupBy('t.completed')
        .execute();
      let completed = 0;
      let pending = 0;
      for (const row of rows) {
        if (row.completed) completed += Number(row.n);
        else pending += Number(row.n);
      }
      return { total: completed + pending, completed, pending };
    },
  };
}
