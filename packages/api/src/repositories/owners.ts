import { type QueryCreator, type RawBuilder, sql } from 'kysely';
import { byCodePoint } from '../db/code-point-order.js';
import type { Db, DialectName } from '../db/database.js';
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

/**
 * How stale `last_seen_at` may get: a write by someone already recorded with the same profile
 * refreshes it only once it is this old. Nothing in the API reads it more finely (it says who
 * has used the API recently), and without the bound every write also rewrote the person's
 * `owners` row: a new row version and its WAL on PostgreSQL, a page write on SQLite.
 */
export const LAST_SEEN_PRECISION_MINUTES = 10;

/** `last_seen_at` older than the bound above, for the engine's own time type. */
const staleLastSeen: Record<DialectName, RawBuilder<boolean>> = {
  postgres: sql<boolean>`owners.last_seen_at < excluded.last_seen_at - ${sql.raw(`interval '${LAST_SEEN_PRECISION_MINUTES} minutes'`)}`,
  // Stored as ISO 8601 text, always in `toISOString`'s format, which orders as the instants.
  sqlite: sql<boolean>`owners.last_seen_at < strftime('%Y-%m-%dT%H:%M:%fZ', excluded.last_seen_at, ${sql.raw(`'-${LAST_SEEN_PRECISION_MINUTES} minutes'`)})`,
};

/** The `owners` row of a profile seen at `now` (`at`: the same as ISO 8601, when known). */
export function ownerRow(profile: OwnerProfile, now: Date, at = now.toISOString()) {
  return {
    issuer: profile.issuer,
    sub: profile.subject,
    username: profile.username,
    email: profile.email,
    department: profile.department,
    last_seen_at: at,
  };
}

/**
 * The statement recording (or refreshing) an owner's profile, not yet executed: `row` is an
 * `ownerRow` (or placeholders of its columns, for a statement compiled once). A changed name,
 * e-mail or department is written at once; an unchanged profile only refreshes `last_seen_at`
 * when it is `LAST_SEEN_PRECISION_MINUTES` old (`IS DISTINCT FROM`: NULLs compare as values),
 * and otherwise leaves the row as it is.
 */
export function upsertOwner(
  db: QueryCreator<Schema>,
  dialect: DialectName,
  row: ReturnType<typeof ownerRow>,
) {
  return db
    .insertInto('owners')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['issuer', 'sub'])
        .doUpdateSet((eb) => ({
          username: eb.ref('excluded.username'),
          email: eb.ref('excluded.email'),
          department: eb.ref('excluded.department'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('owners.username', 'is distinct from', eb.ref('excluded.username')),
            eb('owners.email', 'is distinct from', eb.ref('excluded.email')),
            eb('owners.department', 'is distinct from', eb.ref('excluded.department')),
            staleLastSeen[dialect],
          ]),
        ),
    );
}

/**
 * `upsertOwner` for PostgreSQL as two parts of one statement, for a data-modifying `WITH`
 * (PostgreSQL 15 §7.8.4): a new person's row inserted (`ON CONFLICT DO NOTHING`), and an
 * existing one updated only when the profile changed or `last_seen_at` is stale, by the same
 * rules. The difference is the lock: `ON CONFLICT DO UPDATE` locks the existing row even when
 * its `WHERE` leaves it unchanged (PostgreSQL 15, INSERT, "condition"), a lock held until the
 * write commits, so one person's concurrent writes queued behind each other's `COMMIT`; here an
 * unchanged row is only read. Both parts see the statement's one snapshot: the update never
 * sees the row the insert adds. Two first writes of one person at once: the second inserts
 * nothing (it waits for the first's key) and finds no row to update, so its profile, when it
 * differs, is written by the person's next write.
 */
export function recordOwnerParts(db: QueryCreator<Schema>, row: ReturnType<typeof ownerRow>) {
  const at = sql<string>`cast(${row.last_seen_at} as timestamptz)`;
  return {
    inserted: db
      .insertInto('owners')
      .values(row)
      .onConflict((oc) => oc.columns(['issuer', 'sub']).doNothing()),
    refreshed: db
      .updateTable('owners')
      .set({
        username: row.username,
        email: row.email,
        department: row.department,
        last_seen_at: row.last_seen_at,
      })
      .where('issuer', '=', row.issuer)
      .where('sub', '=', row.sub)
      .where((eb) =>
        eb.or([
          eb('owners.username', 'is distinct from', row.username),
          eb('owners.email', 'is distinct from', row.email),
          eb('owners.department', 'is distinct from', row.department),
          sql<boolean>`owners.last_seen_at < ${at} - ${sql.raw(`interval '${LAST_SEEN_PRECISION_MINUTES} minutes'`)}`,
        ]),
      ),
  };
}

/** Owners and the aggregate queries over them. */
export function ownerRepository(db: Db) {
  const k = db.kysely;
  return {
    /** Records (or refreshes) an owner's profile; called in the transaction of each write. */
    async touch(profile: OwnerProfile, now: Date, tx: Db['kysely'] = k): Promise<void> {
      await upsertOwner(tx, db.dialect, ownerRow(profile, now)).execute();
    },

    /**
     * Whether the API has seen this person: their profile is recorded with every write and
     * every refusal of theirs, and with their first list (made on their first read).
     */
    async known(owner: Owner): Promise<boolean> {
      const row = await k
        .selectFrom('owners')
        .select('sub')
        .where('issuer', '=', owner.issuer)
        .where('sub', '=', owner.subject)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Every owner with todo counts, by username (code point order), those without one last. */
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
        // Those without a username last on both engines (SQLite puts NULL first, PostgreSQL last).
        .orderBy(byCodePoint(db.dialect, 'o.username'), (o) => o.asc().nullsLast())
        .orderBy(byCodePoint(db.dialect, 'o.sub'))
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
