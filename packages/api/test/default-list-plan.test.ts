import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { POOL_SIZE } from '../src/db/postgres-pool.js';
import { listRepository } from '../src/lists/repository.js';
import { postgresAvailable, postgresDatabase, useMigratedDb } from './support/databases.js';

const issuer = 'https://idp.test/realms/default-plan';
const OTHERS = 5_000;

/**
 * A person this process has not seen yet (a new instance, or more people than it remembers) is
 * looked up in `lists` by the named statement of `defaultListEnsurer`. PostgreSQL plans a named
 * statement's first five executions with their values, then keeps its generic plan only if that
 * plan is not dearer than theirs (PostgreSQL 15 `PREPARE`, "plan_cache_mode"). The default list
 * is found through the partial index `lists_one_default` (`WHERE is_default`): with `is_default`
 * a bound value, the generic plan cannot use that index (a seq scan of `lists`), so every lookup
 * was planned again. Written as the constant it always is, the generic plan uses the index.
 */
describe.skipIf(!postgresAvailable)('the default-list lookup on PostgreSQL', () => {
  const db = useMigratedDb({ skip: !postgresAvailable, create: postgresDatabase });

  it('runs with its generic plan after the first executions, through the partial index', async () => {
    // Enough other people's default lists that a scan of `lists` costs more than an index seek.
    await sql`insert into lists (id, owner_issuer, owner_sub, name, is_default, created_at, updated_at)
      select gen_random_uuid(), 'https://idp.test/realms/others', 'user' || g, 'My todos', true, now(), now()
      from generate_series(1, ${OTHERS}::int) as g`.execute(db.kysely);
    await sql`analyze lists`.execute(db.kysely);
    const people = Array.from({ length: 20 }, (_, i) => ({ issuer, subject: `p${i}` }));
    const now = new Date();
    // Their lists exist (made by another process); this one remembers nobody.
    for (const person of people) await listRepository(db).ensureDefault(person, now);
    const lists = listRepository(db, { rememberedDefaults: 0 });
    for (const person of people) await lists.ensureDefault(person, now);

    // Every pooled connection, all held at once so that each answers: its plan counts of the
    // lookup, and the generic plan where it has one.
    type Seen = { generic: number; custom: number; plan: string };
    const held = await Promise.all(
      Array.from({ length: POOL_SIZE }, () => {
        let release = () => {};
        const done = new Promise<void>((resolve) => {
          release = resolve;
        });
        let answer: (seen: Seen[]) => void = () => {};
        let fail: (error: unknown) => void = () => {};
        const seen = new Promise<Seen[]>((resolve, reject) => {
          answer = resolve;
          fail = reject;
        });
        const running = db.kysely.connection().execute(async (connection) => {
          const found = await sql<{ name: string; generic: number; custom: number }>`
            select name, generic_plans::int as generic, custom_plans::int as custom
            from pg_prepared_statements
            where statement like '%from "lists"%' and statement like '%"owner_sub" = $2%'`.execute(
            connection,
          );
          const rows: Seen[] = [];
          for (const { name, generic, custom } of found.rows) {
            let plan = '';
            if (generic > 0) {
              const explained = await sql<{ 'QUERY PLAN': string }>`explain execute ${sql.id(
                name,
              )}(${sql.lit(issuer)}, 'p0')`.execute(connection);
              plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
            }
            rows.push({ generic, custom, plan });
          }
          answer(rows);
          await done;
        });
        running.catch(fail);
        return seen.then((rows) => ({ rows, release, running }));
      }),
    );
    for (const { release } of held) release();
    await Promise.all(held.map(({ running }) => running));
    const plans = held.flatMap(({ rows }) => rows);
    const generic = plans.reduce((n, p) => n + p.generic, 0);
    const custom = plans.reduce((n, p) => n + p.custom, 0);
    expect(generic + custom).toBeGreaterThanOrEqual(2 * people.length);
    // At most the first five of each connection that ran it were planned with their values.
    expect(custom).toBeLessThanOrEqual(5 * plans.length);
    expect(generic).toBeGreaterThan(0);
    for (const { plan } of plans.filter((p) => p.generic > 0))
      expect(plan).toContain('lists_one_default');
  });
});
