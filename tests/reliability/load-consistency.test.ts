import { describe, expect, it } from 'vitest';
import { people, startApiUnderTest } from './support/api.js';
import { engines } from './support/databases.js';
import { MINIMUM_GRACE_MS, runLoad } from './support/load.js';

const DURATION_MS = Number(process.env.LOAD_MS ?? 2000);

/**
 * Concurrent writers and readers across users over real HTTP for a bounded time (and until
 * enough writes are acknowledged, however busy the machine); afterwards
 * every acknowledged create, update and delete is in the database exactly once, nobody ever saw
 * another person's todo, and nothing failed.
 */
describe.each(engines)('load and consistency on $engine', ({ skip, create }) => {
  it.skipIf(skip)(
    `keeps every acknowledged write exactly once after ${DURATION_MS} ms of concurrent load`,
    async () => {
      const database = await create();
      const api = await startApiUnderTest({ database: database.env });
      try {
        const users = await Promise.all(
          (['alice', 'bob', 'carol', 'manager'] as const).map(async (name) => ({
            sub: people[name].sub,
            token: await api.idp.accessToken({
              ...people[name],
              permissions: ['todos:read', 'todos:write'],
            }),
          })),
        );
        const result = await runLoad({
          url: api.url,
          users,
          durationMs: DURATION_MS,
          minimum: { creates: 21, changes: 11 },
        });
        expect(result.violations).toEqual([]);
        // 404 is the readers' probes of other people's todos; a writer's own 404 is a violation.
        const failures = [...result.outcomes.keys()].filter(
          (k) => !/^20[014]$/.test(k) && k !== '404 not_found',
        );
        expect(failures).toEqual([]);
        expect(result.acknowledged.creates).toBeGreaterThan(20);
        expect(result.acknowledged.updates + result.acknowledged.deletes).toBeGreaterThan(10);
        expect(await result.verify(api.context.db)).toEqual([]);
      } finally {
        await api.close();
        await database.drop();
      }
    },
    DURATION_MS + MINIMUM_GRACE_MS + 30_000,
  );
});
