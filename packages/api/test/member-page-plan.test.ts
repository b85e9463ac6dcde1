import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { memberPage } from '../src/authzen/member-page.js';
import { postgresAvailable, postgresDatabase, useMigratedDb } from './support/databases.js';

const issuer = 'https://idp.test/realms/member-page';
const listId = '00000000-0000-4000-8000-000000000001';
const MEMBERS = 20_000;

/**
 * The AuthZEN subject search pages a list's members by `sub` in code point order
 * (`member_sub COLLATE "C"` on PostgreSQL, so that it pages as SQLite does). On a database whose
 * collation is not "C" (an ICU locale here; the server's `C.UTF-8` is not "C" either), the
 * primary key's `member_sub` cannot answer a `COLLATE "C"` comparison or order: every page would
 * read and sort all the list's members. A page must be read from an index in that order.
 */
describe.skipIf(!postgresAvailable)('a page of a large list members on PostgreSQL', () => {
  const db = useMigratedDb({
    skip: !postgresAvailable,
    create: () => postgresDatabase({ icuLocale: 'en-US' }),
  });

  it('is read from an index in code point order, not by sorting every member', async () => {
    await sql`insert into lists (id, owner_issuer, owner_sub, name, is_default, created_at, updated_at)
      values (${listId}, ${issuer}, 'owner', 'Big', false, now(), now())`.execute(db.kysely);
    await sql`insert into list_members (list_id, member_issuer, member_sub, relation, created_at)
      select ${listId}::uuid, ${issuer}, 'user-' || md5(g::text), 'reader', now()
      from generate_series(1, ${MEMBERS}::int) as g`.execute(db.kysely);
    await sql`analyze list_members`.execute(db.kysely);

    for (const range of [{ limit: 51 }, { limit: 51, after: 'user-5' }]) {
      const query = memberPage(db, listId, issuer, range);
      const explained = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(db.kysely);
      const plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index (Only )?Scan using list_members_code_point/);
      expect(plan).not.toMatch(/Sort/);

      // Still the code point order (uppercase before lowercase, as SQLite's BINARY).
      const rows = await query.execute();
      const subs = rows.map((r) => r.member_sub);
      expect(subs).toEqual([...subs].sort());
      expect(subs).toHaveLength(51);
      if (range.after !== undefined) expect(subs.every((s) => s > range.after)).toBe(true);
    }
  });
});
