import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { todoPageQueries } from '../src/todos/page.js';
import { newTodoRow, todoRepository } from '../src/todos/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const ISSUER = 'https://idp.test';

describe.each(drivers)('the todo listing across lists on $driver', ({ driver, skip, create }) => {
  const db = useMigratedDb({ skip, create });

  it.skipIf(skip)(
    'pages through exactly the todos of the lists a person belongs to, newest first, with or without the completed filter',
    async () => {
      const todos = todoRepository(db);
      const lists = listRepository(db);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          // Each todo: which list (0 = the reader's default list, 1–3 = shared with them when
          // `joined` reaches it, 4 = a list they are not a member of), a few distinct
          // milliseconds, done or not.
          fc.array(
            fc.record({
              list: fc.integer({ min: 0, max: 4 }),
              offset: fc.integer({ min: 0, max: 5 }),
              completed: fc.boolean(),
            }),
            { maxLength: 30 },
          ),
          fc.integer({ min: 1, max: 8 }),
          fc.constantFrom(undefined, true, false),
          // How many of the three shared lists the reader is a member of (0: their own only).
          fc.integer({ min: 0, max: 3 }),
          async (specs, limit, completed, joined) => {
            run += 1;
            const reader = { issuer: ISSUER, subject: `reader-${run}` };
            const other = { issuer: ISSUER, subject: `other-${run}` };
            const now = new Date(BASE);
            const own = await lists.ensureDefault(reader, now);
            const listIds = [own];
            for (const [i, name] of ['a', 'b', 'c', 'hidden'].entries()) {
              const list = await db.kysely
                .transaction()
                .execute((tx) => lists.create(other, name, now, tx));
              if (i < joined)
                await db.kysely
                  .transaction()
                  .execute((tx) => lists.setMember(list.id, reader, 'viewer', now, tx));
              listIds.push(list.id);
            }
            const expected = new Set<string>();
            for (const [i, spec] of specs.entries()) {
              const author = spec.list === 0 ? reader : other;
              const todo = await todos.create(
                author,
                { title: `t${i}`, completed: spec.completed },
                new Date(BASE + spec.offset),
                undefined,
                listIds[spec.list],
              );
              if (spec.list <= joined && (completed === undefined || completed === spec.completed))
                expected.add(todo.id);
            }
            const seen: { id: string; createdAt: string; completed: boolean }[] = [];
            let cursor: string | undefined;
            for (let pages = 0; pages <= specs.length + 1; pages += 1) {
              const page = await todos.list(reader, {
                limit,
                ...(cursor && { cursor }),
                ...(completed !== undefined && { completed }),
              });
              expect(page.items.length).toBeLessThanOrEqual(limit);
              seen.push(...page.items);
              if (page.nextCursor === null) break;
              cursor = page.nextCursor;
            }
            expect(new Set(seen.map((t) => t.id))).toEqual(expected);
            expect(seen).toHaveLength(expected.size);
            const newestFirst = [...seen].sort((a, b) =>
              a.createdAt === b.createdAt
                ? b.id.localeCompare(a.id)
                : a.createdAt < b.createdAt
                  ? 1
                  : -1,
            );
            expect(seen).toEqual(newestFirst);
          },
        ),
        { numRuns: 20 },
      );
    },
    // Twenty runs of a few dozen writes each: well over the default 5 s on a loaded machine.
    60_000,
  );

  it.skipIf(skip)(
    'reads each list through its (list_id, created_at, id) index from the newest, never sorting all of a person’s todos',
    async () => {
      // A person with 2,000 todos in one list and a second, shared list; statistics gathered,
      // so the planner sees data of a realistic shape.
      const reader = { issuer: ISSUER, subject: 'many-todos' };
      const now = new Date(BASE);
      const lists = listRepository(db);
      const own = await lists.ensureDefault(reader, now);
      const shared = await db.kysely
        .transaction()
        .execute((tx) => lists.create({ issuer: ISSUER, subject: 'sharer' }, 'shared', now, tx));
      await db.kysely
        .transaction()
        .execute((tx) => lists.setMember(shared.id, reader, 'viewer', now, tx));
      const rows = Array.from({ length: 2000 }, (_, i) =>
        newTodoRow(
          db,
          reader,
          i % 10 === 0 ? shared.id : own,
          { title: `t${i}` },
          new Date(BASE + i),
        ),
      );
      for (let i = 0; i < rows.length; i += 500)
        await db.kysely
          .insertInto('todos')
          .values(rows.slice(i, i + 500))
          .execute();
      await sql`analyze`.execute(db.kysely);

      const query = todoPageQueries(db)({ listId: false, completed: false, cursor: true })({
        ...reader,
        listId: undefined,
        completed: undefined,
        at: new Date(BASE + 1500).toISOString(),
        id: '00000000-0000-4000-8000-000000000000',
        limit: 21,
      });
      const explain = driver === 'postgres' ? 'explain ' : 'explain query plan ';
      // The plan of the very statement the listing runs, its parameters inlined for EXPLAIN.
      let n = 0;
      const inlined = query.sql.replace(/\?|\$\d+/g, () => {
        const value = query.parameters[n++];
        return typeof value === 'number' ? String(value) : `'${value}'`;
      });
      const plan = (await sql.raw(`${explain}${inlined}`).execute(db.kysely)).rows
        .map((r) => Object.values(r as Record<string, unknown>).at(-1))
        .join('\n');
      if (driver === 'postgres') {
        // Which index PostgreSQL picks depends on its statistics; the shape does not: each
        // list is read under its own Limit (the LATERAL subquery), never a whole table.
        expect(plan).toMatch(/Nested Loop[\s\S]*->\s+Limit[\s\S]*on todos x/);
        expect(plan).not.toMatch(/Seq Scan on todos/);
      } else {
        // Each large list read from its index between the cursor and its `limit`-th newest
        // todo; the keys sorted once after the union, and the JSON's order once: no temporary
        // b-tree per arm of the union, none for a list of rowids.
        expect(plan).toContain(
          'SEARCH x USING COVERING INDEX todos_list_created (list_id=? AND created_at>? AND (created_at,id)<(?,?))',
        );
        expect(plan).not.toMatch(/SCAN (x|t)\b/);
        expect(plan.match(/USE TEMP B-TREE/g)).toHaveLength(2);
        expect(plan).not.toContain('LIST SUBQUERY');
      }
      const page = await todoRepository(db).list(reader, { limit: 20 });
      expect(page.items.map((t) => t.title)).toEqual(
        Array.from({ length: 20 }, (_, i) => `t${1999 - i}`),
      );
    },
  );
});
