import { alice, bob, carol } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { migrations } from '../src/db/migrate.js';
import { SMALL_LIST_TODOS } from '../src/db/migrations/009-list-sizes.js';
import { drivers, useEmptyDatabase, useMigratedDb } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';
import { migrateTo } from './support/migrations.js';

/** Every migration's name, in order; the last is this release's schema. */
const NAMES = Object.keys(migrations({ dialect: 'sqlite' } as Db));
const LATEST = NAMES.length;
const BASE = Date.parse('2025-06-30T23:59:59.997Z');
const PEOPLE = [alice, bob, carol] as const;
const SUBS = new Set<string>(PEOPLE.map((u) => u.sub));

/** Applies the migrations up to the `level`-th alone, as the release that ended with it did. */
async function migrateToLevel(db: Db, level: number): Promise<void> {
  await migrateTo(db, NAMES[level - 1] as string);
}

/** A fixed id: `kind` (one hex digit) and a number. */
const id = (kind: string, n: number) =>
  `${kind}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * What a release of schema `level` had written (todos of three people, alice's many enough to
 * make her default list large, with ties and millisecond boundaries in `created_at`; from 004
 * a list of alice's shared with bob; versions, audit, agents, a revoked subject), written into a
 * database of schema `schema` (the same level, or this release's for a fresh database that
 * receives the same writes). Columns a level did not have are left to their defaults.
 */
async function write(db: Db, issuer: string, level: number, schema: number): Promise<void> {
  const k = db.kysely as unknown as import('kysely').Kysely<
    Record<string, Record<string, unknown>>
  >;
  const at = (ms: number) => new Date(BASE + ms).toISOString();
  // Migration 010 forgets every email recorded before it: a fresh database never had them.
  const email = (user: (typeof PEOPLE)[number]) => (level >= 10 ? (user.email ?? null) : null);
  await k
    .insertInto('owners')
    .values(
      [...PEOPLE, { sub: 'dave-sub', username: 'dave', email: 'dave@example.com' }].map((u) => ({
        issuer,
        sub: u.sub,
        username: u.username,
        email: schema < 10 ? (u.email ?? null) : email(u as (typeof PEOPLE)[number]),
        department: 'department' in u ? (u.department ?? null) : null,
        last_seen_at: at(5000),
      })),
    )
    .execute();

  // Lists: from 004 written as the release did; before, the migration makes a default list for
  // everyone with a todo or a profile, and a fresh database gets the same.
  const lists = new Map<string, string>();
  if (schema >= 4) {
    const people = [...PEOPLE.map((u) => u.sub), 'dave-sub'];
    for (const [i, sub] of people.entries()) {
      const listId = level >= 4 ? id('a', i) : id('b', i);
      lists.set(sub, listId);
      await k
        .insertInto('lists')
        .values({
          id: listId,
          owner_issuer: issuer,
          owner_sub: sub,
          name: 'My todos',
          is_default: db.bool(true),
          created_at: at(i),
          updated_at: at(i),
        })
        .execute();
      await k
        .insertInto('list_members')
        .values({
          list_id: listId,
          member_issuer: issuer,
          member_sub: sub,
          relation: 'owner',
          created_at: at(i),
        })
        .execute();
    }
    if (level >= 4) {
      await k
        .insertInto('lists')
        .values({
          id: id('a', 99),
          owner_issuer: issuer,
          owner_sub: alice.sub,
          name: 'Shared ✓',
          is_default: db.bool(false),
          created_at: at(10),
          updated_at: at(20),
          ...(schema >= 6 && { version: level >= 6 ? 3 : 1 }),
        })
        .execute();
      await k
        .insertInto('list_members')
        .values(
          [
            [alice.sub, 'owner'],
            [bob.sub, 'editor'],
          ].map(([sub, relation]) => ({
            list_id: id('a', 99),
            member_issuer: issuer,
            member_sub: sub,
            relation,
            created_at: at(10),
          })),
        )
        .execute();
    }
  }

  const todos: Record<string, unknown>[] = [];
  const add = (owner: string, n: number, list: string | undefined, ms: number) =>
    todos.push({
      id: id('c', todos.length),
      owner_issuer: issuer,
      owner_sub: owner,
      title: ['Zeta', 'apple', 'émile', 'e\u0301mile', '😀 emoji', 'x'.repeat(200)][n % 6],
      description: n % 2 === 0 ? null : `notes ${n}\nsecond line`,
      completed: db.bool(n % 3 === 0),
      created_at: at(ms),
      updated_at: at(ms + 1),
      ...(schema >= 4 && { list_id: list }),
      ...(schema >= 5 && { version: level >= 5 ? (n % 4) + 1 : 1 }),
    });
  // Alice: more than SMALL_LIST_TODOS, three to a millisecond, across a second boundary.
  for (let n = 0; n < SMALL_LIST_TODOS + 6; n++)
    add(alice.sub, n, lists.get(alice.sub), Math.floor(n / 3));
  for (let n = 0; n < 3; n++) add(bob.sub, n, lists.get(bob.sub), 2 + n);
  add(carol.sub, 0, lists.get(carol.sub), 7);
  if (level >= 4) for (let n = 0; n < 4; n++) add(alice.sub, n, id('a', 99), 3);
  await k.insertInto('todos').values(todos).execute();

  await k
    .insertInto('audit_log')
    .values(
      [0, 1, 2].map((n) => ({
        id: id('d', n),
        at: at(n),
        actor_issuer: issuer,
        actor_sub: alice.sub,
        action: 'todo.create',
        resource: `todo:${id('c', n)}`,
        outcome: 'success',
        detail: null,
        request_id: `request-${n}`,
        ...(schema >= 3 && { suppressed: level >= 3 ? n : 0 }),
        ...(schema >= 7 && { actor_client: level >= 7 ? 'todo-cli' : null }),
      })),
    )
    .execute();
  // Carol's tokens issued before this instant are refused.
  const revokedUntil = new Date(Date.now() + 3_600_000).toISOString();
  await k
    .insertInto('revocations')
    .values({
      issuer,
      kind: 'subject',
      value: carol.sub,
      not_before: revokedUntil,
      expires_at: new Date(Date.now() + 7_200_000).toISOString(),
    })
    .execute();
  if (schema >= 8 && level >= 8)
    await k
      .insertInto('agent_clients')
      .values({
        issuer,
        sub: alice.sub,
        client_id: 'an-agent',
        first_used_at: at(0),
        last_used_at: at(9),
      })
      .execute();
}

/**
 * Removes every row but the migrations' own records: a database of this release's schema as
 * migrating an empty one leaves it (no migration writes rows into an empty database).
 */
async function emptyRows(db: Db): Promise<void> {
  const tables = (await db.kysely.introspection.getTables())
    .filter((t) => !t.isView)
    .map((t) => t.name);
  if (db.dialect === 'postgres') {
    await sql`truncate ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db.kysely);
    return;
  }
  // SQLite enforces foreign keys row by row: a table is emptied once those referring to it are.
  let left = tables;
  while (left.length > 0) {
    const referred: string[] = [];
    for (const table of left)
      await sql`delete from ${sql.table(table)}`.execute(db.kysely).catch(() => {
        referred.push(table);
      });
    if (referred.length === left.length) throw new Error(`cannot empty ${referred.join(', ')}`);
    left = referred;
  }
}

/** SQLite: each list's `todo_count` and each membership's `list_large` agree with the rows. */
async function sizesAgree(db: Db): Promise<void> {
  if (db.dialect !== 'sqlite') return;
  const { rows } = await sql<{ wrong: number }>`select count(*) as wrong from lists l
    join list_members m on m.list_id = l.id
    where l.todo_count <> (select count(*) from todos t where t.list_id = l.id)
       or m.list_large <> (l.todo_count > ${sql.lit(SMALL_LIST_TODOS)})`.execute(db.kysely);
  expect(Number(rows[0]?.wrong)).toBe(0);
}

describe.each(drivers)('upgrading to this release on $driver', (driver) => {
  const { skip } = driver;
  const idp = useIssuer(skip, { profile: 'keycloak' });
  // Each test's upgraded database, empty as a new one (on PostgreSQL, the suite's emptied).
  const emptyUpgraded = useEmptyDatabase(driver);
  // The fresh database: migrated to this release's schema once for the suite, its rows removed
  // before each test (migrating it again for each level took half the suite's time).
  const fresh = useMigratedDb(driver);

  /** What each person sees through the API, the lists' ids named by owner and name. */
  async function views(instance: Instance, level: number) {
    const { rows: lists } = await sql<{ id: string; owner_sub: string; name: string }>`
      select id, owner_sub, name from lists`.execute(instance.context.db.kysely);
    const names = new Map(lists.map((l) => [String(l.id), `${l.owner_sub}/${l.name}`]));
    // Lists by owner and name; the written rows' ids as they are; a todo added since by `(new)`.
    const name = (text: string) =>
      text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (m) =>
        names.has(m)
          ? `list(${names.get(m)})`
          : /^[a-d]0000000-/.test(m) || SUBS.has(m)
            ? m
            : '(new)',
      );
    const defaultOfAlice = [...names].find(([, n]) => n === `${alice.sub}/My todos`)?.[0];
    const seen: Record<string, unknown> = {};
    for (const user of PEOPLE) {
      const token = await idp.accessToken(user);
      const get = async (url: string) => {
        const res = await instance.app.inject({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: res.statusCode, body: JSON.parse(name(res.body)) };
      };
      const pages = async (url: string) => {
        const all: unknown[] = [];
        let next: string | null = null;
        do {
          const page = await get(next ? `${url}&cursor=${next}` : url);
          if (page.status !== 200) return page;
          all.push(page.body.items.length, ...page.body.items);
          next = page.body.nextCursor;
        } while (next);
        return all;
      };
      const myLists = await get('/lists/');
      // Before 004 the default lists were made by the migration (or the fresh database's
      // writer) at their own moment.
      if (level < 4 && Array.isArray(myLists.body))
        for (const l of myLists.body) if (l.isDefault) l.createdAt = l.updatedAt = '(made)';
      seen[user.username] = {
        me: (await get('/me')).status,
        lists: myLists,
        todos: await pages('/todos/?limit=7'),
        done: await pages('/todos/?completed=true&limit=4'),
        large: await pages(`/todos/?list=${defaultOfAlice}&limit=20`),
        agents: await get('/me/agents'),
      };
    }
    return seen;
  }

  for (let level = 1; level < LATEST; level++) {
    it.skipIf(skip)(
      `from ${NAMES[level - 1]}: every row reachable, as on a fresh database with the same writes`,
      () =>
        onceMoreIfConnectingTimedOut(async () => {
          // The upgraded database and the fresh one are independent until compared: they are
          // emptied and read at once, so those waits on the database overlap.
          const [upgraded] = await Promise.all([emptyUpgraded(), emptyRows(fresh)]);
          try {
            // Prepared and started one after the other: two pools opening at once on a loaded
            // machine waited past the API's 2 s connection timeout in CI.
            const db = openDatabase(upgraded.config);
            try {
              await migrateToLevel(db, level);
              await write(db, idp.issuer, level, level);
            } finally {
              await db.close();
            }
            await write(fresh, idp.issuer, level, LATEST);
            // One clock for both, so that what they write after the upgrade is alike.
            const now = new Date();
            const clock = { now: () => now };
            const after = await startInstance(testConfig(idp, upgraded.config), { clock });
            const reference = await startInstance(testConfig(idp, fresh.config), { clock }).catch(
              async (error: unknown) => {
                await after.close();
                throw error;
              },
            );
            try {
              await sizesAgree(after.context.db);
              await sizesAgree(reference.context.db);
              const [seen, expected] = await Promise.all([
                views(after, level),
                views(reference, level),
              ]);
              expect(seen).toEqual(expected);
              // Everything is there: every todo, the lists' counts, carol refused.
              const everything = seen as Record<string, { todos: unknown[]; me: number }>;
              expect(everything.alice?.todos.filter((t) => typeof t === 'object')).toHaveLength(
                SMALL_LIST_TODOS + 6 + (level >= 4 ? 4 : 0),
              );
              expect(everything.carol?.me).toBe(401);
              // And writes go on: a todo added to alice's large list is counted and listed.
              const token = await idp.accessToken(alice);
              for (const instance of [after, reference]) {
                const created = await instance.app.inject({
                  method: 'POST',
                  url: '/todos/',
                  headers: { authorization: `Bearer ${token}` },
                  payload: { title: 'after the upgrade' },
                });
                expect(created.statusCode).toBe(201);
                await sizesAgree(instance.context.db);
              }
              const [seenAfter, expectedAfter] = await Promise.all([
                views(after, level),
                views(reference, level),
              ]);
              expect(seenAfter).toEqual(expectedAfter);
            } finally {
              await Promise.all([after.close(), reference.close()]);
            }
          } finally {
            await upgraded.drop();
          }
        }),
      60_000,
    );
  }
});

/**
 * Runs `attempt` once more when a PostgreSQL connection could not be opened within the pool's
 * 2 s (node-postgres's "timeout expired"): on CI's two saturated cores one connection once took
 * longer. Each attempt empties both databases and makes its own upgraded one first, so the
 * second sees what the first would have; any other failure, and a second timeout, is final.
 */
async function onceMoreIfConnectingTimedOut(attempt: () => Promise<void>): Promise<void> {
  try {
    await attempt();
  } catch (error) {
    if (!(error instanceof Error && error.message === 'timeout expired')) throw error;
    await attempt();
  }
}
