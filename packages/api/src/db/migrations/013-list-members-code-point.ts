import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';

/**
 * The AuthZEN subject search pages a list's members by `sub` in code point order
 * (`db/code-point-order.ts`): `member_sub COLLATE "C" > $position ORDER BY member_sub COLLATE
 * "C"`. PostgreSQL can answer a condition or an order from an index only when the index has the
 * same collation (PostgreSQL 15 §11.11), and the primary key's `member_sub` has the database's
 * (an ICU or libc locale, `C.UTF-8` included, is not "C"): without this index every page read
 * and sorted all the list's members. SQLite compares by code point already (its primary key
 * serves), so nothing is created there.
 */
export function listMembersCodePoint(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`create index list_members_code_point
        on list_members (list_id, member_issuer, member_sub collate "C")`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`drop index if exists list_members_code_point`.execute(db);
    },
  };
}
