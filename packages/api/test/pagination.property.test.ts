import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { todoRepository } from '../src/todos/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');

describe.each(drivers)('keyset pagination on $driver (property)', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });

  it.skipIf(skip)(
    'visits every todo exactly once, newest first, for any timestamps (ties included) and page size',
    async () => {
      const todos = todoRepository(db);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          // Few distinct milliseconds, so many rows share created_at and ids break the ties.
          fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 30 }),
          fc.integer({ min: 1, max: 8 }),
          async (offsets, limit) => {
            const owner = { issuer: 'https://idp.test', subject: `property-${run++}` };
            for (const [i, offset] of offsets.entries()) {
              await todos.create(owner, { title: `t${i}` }, new Date(BASE + offset));
            }
            const seen: { id: string; createdAt: string }[] = [];
            let cursor: string | undefined;
            for (let pages = 0; pages <= offsets.length + 1; pages++) {
              const page = await todos.list(owner, { limit, ...(cursor && { cursor }) });
              expect(page.items.length).toBeLessThanOrEqual(limit);
              seen.push(...page.items);
              if (page.nextCursor === null) break;
              cursor = page.nextCursor;
            }
            expect(seen).toHaveLength(offsets.length);
            expect(new Set(seen.map((t) => t.id)).size).toBe(offsets.length);
            const sorted = [...seen].sort((a, b) =>
              a.createdAt === b.createdAt
                ? a.id < b.id
                  ? 1
                  : -1
                : a.createdAt < b.createdAt
                  ? 1
                  : -1,
            );
            expect(seen).toEqual(sorted);
          },
        ),
        { numRuns: 25 },
      );
    },
  );
});
