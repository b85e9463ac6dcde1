import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listRepository } from '../src/lists/repository.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const ISSUER = 'https://idp.test';

/** Text the API accepts (`TEXT_PATTERN`): any code point but U+0000, surrogates paired. */
const text = (minLength: number) =>
  fc
    .string({ unit: 'grapheme', minLength, maxLength: 40 })
    .filter((s) => !s.includes('\u0000') && (minLength === 0 || s.trim() !== ''));

describe.each(drivers)(
  'the page of todos, read as one JSON value, on $driver',
  ({ skip, create }) => {
    const db = useMigratedDb({ skip, create });

    it.skipIf(skip)(
      'gives every todo exactly as reading it alone does: any text, null, booleans, versions, timestamps',
      async () => {
        const todos = todoRepository(db);
        const lists = listRepository(db);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                title: text(1),
                description: fc.option(text(0), { nil: null }),
                completed: fc.boolean(),
                // Milliseconds since 2000, up to year 2100, so timestamps cover many shapes.
                at: fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
                changes: fc.integer({ min: 0, max: 2 }),
              }),
              { minLength: 1, maxLength: 8 },
            ),
            async (specs) => {
              run += 1;
              const reader = { issuer: ISSUER, subject: `json-${run}` };
              const now = new Date(specs[0]?.at ?? 0);
              await lists.ensureDefault(reader, now);
              for (const spec of specs) {
                const at = new Date(spec.at);
                const todo = await todos.create(reader, spec, at);
                for (let i = 0; i < spec.changes; i += 1)
                  await todos.update(reader, todo.id, { completed: !spec.completed }, at);
              }
              const page = await todos.list(reader, { limit: specs.length - 1 || 1 });
              const alone = await Promise.all(page.items.map((t) => todos.get(reader, t.id)));
              expect(page.items).toEqual(alone);
              expect(JSON.stringify(page.items)).toBe(JSON.stringify(alone));
            },
          ),
          { numRuns: 15 },
        );
      },
      60_000,
    );

    it.skipIf(skip)(
      'never shows a todo another transaction wrote and then rolled back',
      async () => {
        const todos = todoRepository(db);
        const reader = { issuer: ISSUER, subject: 'rolled-back' };
        const now = new Date('2026-01-01T00:00:00.000Z');
        await listRepository(db).ensureDefault(reader, now);
        const kept = await todos.create(reader, { title: 'kept' }, now);
        let during: Promise<unknown> | undefined;
        await expect(
          db.kysely.transaction().execute(async (tx) => {
            await todos.create(reader, { title: 'rolled back' }, now, tx);
            // Asked while the transaction is open and holds its uncommitted todo.
            during = todos.list(reader, { limit: 20 });
            await new Promise((resolve) => setTimeout(resolve, 20));
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        const page = { items: [kept], nextCursor: null };
        expect(await during).toEqual(page);
        expect(await todos.list(reader, { limit: 20 })).toEqual(page);
      },
    );
  },
);
