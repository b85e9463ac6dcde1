import { describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { listRepository } from '../src/lists/repository.js';
import { newTodoRow, todoRepository } from '../src/todos/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const ISSUER = 'https://idp.test';
const READER = { issuer: ISSUER, subject: 'member-of-many' };

/** A deterministic generator (mulberry32), so a failure always comes from the same data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seen {
  readonly id: string;
  readonly createdAt: string;
  readonly completed: boolean;
}

/** Newest first on (`createdAt`, `id`), the listing's order. */
const newestFirst = (a: Seen, b: Seen) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1;

/**
 * The reader's own list, 60 lists owned by others and shared with the reader, 2 that are not,
 * and their todos: from none to more than two pages per list, in few distinct milliseconds so
 * that many tie on created_at across and within lists (in some lists all of them).
 */
async function seed(db: Db) {
  const lists = listRepository(db);
  const next = random(20);
  const now = new Date(BASE);
  const own = await lists.ensureDefault(READER, now);
  const shared: string[] = [];
  const hidden: string[] = [];
  for (let i = 0; i < 62; i += 1) {
    const owner = { issuer: ISSUER, subject: `owner-${i % 7}` };
    const list = await db.kysely
      .transaction()
      .execute((tx) => lists.create(owner, `list ${i}`, now, tx));
    if (i >= 60) {
      hidden.push(list.id);
      continue;
    }
    const relation = i % 3 ? 'viewer' : 'editor';
    await db.kysely
      .transaction()
      .execute((tx) => lists.setMember(list.id, READER, relation, now, tx));
    shared.push(list.id);
  }
  const rows = [own, ...shared, ...hidden].flatMap((listId, l) => {
    // Every third list's todos all in one millisecond: ordered by id alone.
    const spread = l % 3 === 1 ? 1 : 40;
    return Array.from({ length: Math.floor(next() ** 3 * 45) }, (_, i) =>
      newTodoRow(
        db,
        READER,
        listId,
        { title: `t${i}`, completed: next() < 0.4 },
        new Date(BASE + Math.floor(next() * spread)),
      ),
    );
  });
  for (let i = 0; i < rows.length; i += 200)
    await db.kysely
      .insertInto('todos')
      .values(rows.slice(i, i + 200))
      .execute();
  return { own, shared, rows };
}

/** Every page of the reader's listing, from the first to the one without a next cursor. */
async function walk(db: Db, limit: number, completed: boolean | undefined, most: number) {
  const seen: Seen[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages <= most; pages += 1) {
    const page = await todoRepository(db).list(READER, {
      limit,
      ...(cursor && { cursor }),
      ...(completed !== undefined && { completed }),
    });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    for (const t of page.items)
      seen.push({ id: t.id, createdAt: t.createdAt, completed: t.completed });
    if (page.nextCursor === null) return seen;
    expect(page.items).toHaveLength(limit);
    cursor = page.nextCursor;
  }
  throw new Error(`more than ${most} pages`);
}

describe.each(drivers)(
  'the todo listing of a member of many lists on $driver',
  ({ skip, create }) => {
    const db = useMigratedDb({ skip, create });

    it.skipIf(skip)(
      'walks 60 lists page by page to the same todos, in the same order, as sorting them all',
      async () => {
        const { own, shared, rows } = await seed(db);
        // The data has the shapes that matter: lists longer than a page, ties on created_at.
        const perList = new Map<string, number>();
        for (const r of rows) perList.set(r.list_id, (perList.get(r.list_id) ?? 0) + 1);
        expect(shared.filter((id) => (perList.get(id) ?? 0) > 21).length).toBeGreaterThan(3);
        expect(new Set(rows.map((r) => r.created_at)).size).toBeLessThan(rows.length / 5);
        // A list deleted and a membership revoked take effect on the next page read.
        const [deleted, revoked] = shared.splice(5, 2) as [string, string];
        const lists = listRepository(db);
        await db.kysely.transaction().execute((tx) => lists.remove(deleted, tx));
        await db.kysely.transaction().execute((tx) => lists.removeMember(revoked, READER, tx));

        const readable = new Set([own, ...shared]);
        for (const completed of [undefined, true, false])
          for (const limit of [3, 7, 20, 100]) {
            const expected = rows
              .filter(
                (r) =>
                  readable.has(r.list_id) &&
                  (completed === undefined || Boolean(r.completed) === completed),
              )
              .map((r) => ({ id: r.id, createdAt: r.created_at, completed: Boolean(r.completed) }))
              .sort(newestFirst);
            const seen = await walk(db, limit, completed, expected.length + 1);
            expect({ completed, limit, seen }).toEqual({ completed, limit, seen: expected });
          }
      },
      60_000,
    );
  },
);
