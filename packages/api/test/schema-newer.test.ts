import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';
import { callMcpTool } from './support/mcp.js';

const BASE = 'https://todo.example.com';

/**
 * A rolling upgrade: a newer release migrates the database while this one still runs. A
 * statement of this release that the new schema breaks is then an upgrade in progress, answered
 * 503 with `Retry-After` (a retry reaches an upgraded instance), not a 500; the same failure with
 * no newer migration recorded is a defect of this release, and stays a 500.
 */
describe.each(drivers)('a database a newer release migrated, on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const h = suiteFixture(
    skip,
    () => startHarness(database.config, { API_PUBLIC_URL: BASE }),
    (harness) => harness.close(),
  );

  it.skipIf(skip)(
    'answers 503 with Retry-After to what the new schema breaks, 500 without a newer migration',
    async () => {
      const created = await h.as('alice', {
        method: 'POST',
        url: '/todos/',
        payload: { title: 'a' },
      });
      expect(created.statusCode).toBe(201);
      const { kysely } = h.context.db;
      // What a newer release's migration could do: a column of `todos` renamed.
      await sql`alter table todos rename column description to details`.execute(kysely);
      try {
        const broken = await h.as('alice', {
          method: 'POST',
          url: '/todos/',
          payload: { title: 'b', description: 'd' },
        });
        expect(broken.statusCode).toBe(500);

        await sql`insert into kysely_migration (name, timestamp)
          values ('999-a-newer-release', '2030-01-01T00:00:00.000Z')`.execute(kysely);
        // The newer schema is noticed at once, not after a cached "nothing newer".
        for (const request of [
          { method: 'POST', url: '/todos/', payload: { title: 'b', description: 'd' } },
          { method: 'GET', url: '/todos/' },
        ] as const) {
          const answer = await h.as('alice', request);
          expect(answer.statusCode, `${request.method} ${answer.body}`).toBe(503);
          expect(answer.headers['retry-after']).toBe('5');
          expect(answer.json()).toMatchObject({ code: 'unavailable' });
          expect(answer.json().detail).toMatch(/newer release/);
          expect(answer.json().detail).not.toContain('999-a-newer-release');
        }
        // The MCP tools, through the same todo service, are answered alike.
        const tool = await callMcpTool(h, BASE, 'list_todos', {});
        expect(tool).toMatchObject({ isError: true, body: { code: 'unavailable', status: 503 } });
      } finally {
        await sql`delete from kysely_migration where name = '999-a-newer-release'`.execute(kysely);
        await sql`alter table todos rename column details to description`.execute(kysely);
      }
      const after = await h.as('alice', { method: 'GET', url: '/todos/' });
      expect(after.statusCode).toBe(200);
      expect(after.json().items.map((t: { title: string }) => t.title)).toEqual(['a']);
    },
  );
});
