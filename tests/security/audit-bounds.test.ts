import { startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobody, type RunningApi, startApiUnderTest } from '../reliability/support/api.js';
import { SteppedClock } from '../reliability/support/clock.js';
import { engines, type SuiteDatabase } from '../reliability/support/databases.js';

const DAY_MS = 86_400_000;

/**
 * The audit log stays bounded: one subject's authorization denials are written a few times a
 * minute and counted beyond that, and records past the retention period are deleted in the
 * background, on SQLite and PostgreSQL.
 */
describe.each(engines)('audit log bounds on $engine', ({ skip, create }) => {
  const clock = new SteppedClock();
  let database: SuiteDatabase;
  let idp: TestIssuer;
  let api: RunningApi | undefined;

  const start = async () => {
    api = await startApiUnderTest({
      database: database.env,
      idp,
      clock,
      env: { AUDIT_DENIALS_PER_MINUTE: '5', AUDIT_RETENTION_DAYS: '90' },
    });
    return api;
  };
  const rows = (a: RunningApi) =>
    a.context.db.kysely.selectFrom('audit_log').selectAll().orderBy('at').execute();

  beforeAll(async () => {
    if (skip) return;
    database = await create();
    idp = await startTestIssuer({ profile: 'keycloak', now: clock.ms });
  });
  afterAll(async () => {
    await api?.close();
    await idp?.close();
    await database?.drop();
  });

  it.skipIf(skip)(
    'writes five denials per subject and minute, counts the other 45 in suppressed',
    async () => {
      const a = await start();
      const token = await a.token(nobody);
      const statuses = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`${a.url}/todos/`, { headers: { authorization: `Bearer ${token}` } }).then(
            (r) => r.status,
          ),
        ),
      );
      expect(statuses).toEqual(Array(50).fill(403));
      // Another subject has a budget of its own.
      const alice = await a.token('alice');
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(`${a.url}/admin/audit`, {
          headers: { authorization: `Bearer ${alice}` },
        });
        expect(res.status).toBe(403);
      }
      await a.context.audit.flush();
      const denied = (await rows(a)).filter((r) => r.outcome === 'denied');
      const mine = denied.filter((r) => r.actor_sub === nobody.sub);
      expect(mine).toHaveLength(5);
      expect(mine.reduce((n, r) => n + Number(r.suppressed), 0)).toBe(45);
      expect(denied.filter((r) => r.actor_sub !== nobody.sub)).toHaveLength(3);

      // The admin's view carries the count.
      const page = await fetch(`${a.url}/admin/audit?limit=100`, {
        headers: { authorization: `Bearer ${await a.token('admin')}` },
      });
      expect(page.status).toBe(200);
      const { items } = (await page.json()) as {
        items: { actorSub: string; suppressed: number }[];
      };
      expect(
        items.filter((i) => i.actorSub === nobody.sub).reduce((n, i) => n + i.suppressed, 0),
      ).toBe(45);

      // A new minute, a new budget.
      clock.advance(61_000);
      const again = await fetch(`${a.url}/todos/`, {
        headers: { authorization: `Bearer ${await a.token(nobody)}` },
      });
      expect(again.status).toBe(403);
      expect((await rows(a)).filter((r) => r.actor_sub === nobody.sub)).toHaveLength(6);
      await a.close();
      api = undefined;
    },
    30_000,
  );

  it.skipIf(skip)(
    'deletes records older than AUDIT_RETENTION_DAYS in the background, keeps younger ones',
    async () => {
      // The first test's denials are from day 0; a write on day 45.
      clock.advance(45 * DAY_MS);
      let a = await start();
      const before = (await rows(a)).length;
      expect(before).toBeGreaterThan(0);
      const created = await fetch(`${a.url}/todos/`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await a.token('alice')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ title: 'audited' }),
      });
      expect(created.status).toBe(201);
      expect((await rows(a)).length).toBe(before + 1);
      await a.close();

      // Day 89: nothing is old enough.
      clock.advance(44 * DAY_MS);
      a = await start();
      await new Promise((r) => setTimeout(r, 300));
      expect((await rows(a)).length).toBe(before + 1);
      await a.close();

      // Day 91: the denials of day 0 go, in the background after start; the write stays.
      clock.advance(2 * DAY_MS);
      a = await start();
      await expect.poll(async () => (await rows(a)).length, { timeout: 5000 }).toBe(1);
      expect((await rows(a))[0]).toMatchObject({ outcome: 'success', action: 'todo.create' });
      await a.close();
      api = undefined;
    },
    30_000,
  );
});
