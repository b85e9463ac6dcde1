import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuditKeeper } from '../src/audit/denial-audit.js';
import { as, noServerError, statuses, together, useListening } from './support/concurrency.js';
import { drivers, sqliteDriver, useMigratedDb } from './support/databases.js';
import { useHarness, users } from './support/harness.js';

/**
 * The audit log under concurrent refusals and writes, over real HTTP, on SQLite and PostgreSQL:
 * refusals sent together are each either a denial record or counted in one's `suppressed`
 * (`AUDIT_DENIALS_PER_MINUTE`, 20 by default), never lost nor written past the budget, and
 * they write no success record; writes sent with them are each recorded once.
 */
describe.each(drivers)(
  'the audit log under concurrent requests, on $driver',
  ({ skip, create }) => {
    const h = useHarness({ skip, create });
    const node = useListening(h);
    const bob = users.bob.username as string;
    const bobSub = users.bob.sub as string;

    /** bob's records since `since`: denials with their `suppressed`, and successes. */
    async function bobsRecords(since: string) {
      const rows = await h.context.db.kysely
        .selectFrom('audit_log')
        .select(['outcome', 'suppressed', 'action'])
        .where('actor_sub', '=', bobSub)
        .where('at', '>=', since as never)
        .execute();
      const denied = rows.filter((r) => r.outcome === 'denied');
      return {
        denials: denied.length,
        suppressed: denied.reduce((n, r) => n + Number(r.suppressed), 0),
        successes: rows.filter((r) => r.outcome === 'success').map((r) => r.action),
      };
    }

    /** A new list of alice's that bob may only read. */
    async function viewedList(name: string): Promise<string> {
      await as(h, node, 'bob', 'GET', '/lists/');
      const list = await as(h, node, 'alice', 'POST', '/lists/', { body: { name } });
      const id = list.body.id as string;
      const share = await as(h, node, 'alice', 'PUT', `/lists/${id}/members/${bob}`, {
        body: { relation: 'viewer' },
      });
      expect(share.status).toBe(200);
      return id;
    }

    it.skipIf(skip)(
      "a viewer's 40 writes at once, with 5 of an editor's: 20 denial records, the rest counted",
      async () => {
        const since = new Date().toISOString();
        const id = await viewedList('Viewed');
        const todo = await as(h, node, 'alice', 'POST', `/lists/${id}/todos/`, {
          body: { title: 'read only' },
        });
        const url = `/todos/${todo.body.id}`;
        const [refused, written] = await Promise.all([
          together(40, (i) => as(h, node, 'bob', 'PATCH', url, { body: { title: `not ${i}` } })),
          together(5, (i) => as(h, node, 'alice', 'PATCH', url, { body: { title: `mine ${i}` } })),
        ]);
        noServerError([...refused, ...written]);
        expect(statuses(refused)).toEqual({ 403: 40 });
        expect(statuses(written)).toEqual({ 200: 5 });
        // The counted ones are added to a record every 15 s and on close; here at once.
        await h.context.audit.flush();
        expect(await bobsRecords(since)).toEqual({ denials: 20, suppressed: 20, successes: [] });
        const read = await as(h, node, 'alice', 'GET', url);
        expect(read.body.version).toBe(1 + 5);
      },
    );

    it.skipIf(skip)(
      'refusals at once as a new minute begins: 20 records in it, the rest counted, none lost',
      async () => {
        const id = await viewedList('Minutes');
        const refuse = (i: number) =>
          as(h, node, 'bob', 'PATCH', `/lists/${id}`, { body: { name: `not mine ${i}` } });
        try {
          // Each round in a minute of its own, on the API's clock; what a minute counted past its
          // records is added to them as the next minute's first refusal arrives (or by a flush).
          const minutes = [1, 2, 3, 4];
          for (const minute of minutes) {
            h.setClockOffset(minute * 61_000);
            expect(statuses(await together(40, refuse))).toEqual({ 403: 40 });
          }
          await h.context.audit.flush();
          const base = Date.now();
          const from = (minute: number) => new Date(base + minute * 61_000 - 30_000).toISOString();
          for (const minute of minutes) {
            const [records, later] = [
              await bobsRecords(from(minute)),
              await bobsRecords(from(minute + 1)),
            ];
            expect({
              minute,
              denials: records.denials - later.denials,
              suppressed: records.suppressed - later.suppressed,
              successes: records.successes,
            }).toEqual({ minute, denials: 20, suppressed: 20, successes: [] });
          }
        } finally {
          h.setClockOffset(0);
        }
      },
    );
  },
);

/**
 * The keeper itself, on SQLite: a person's new minute begun while a flush is adding another
 * person's count (the flush awaiting the database) is not forgotten by that flush, which would
 * start the minute's budget again.
 */
describe('denial budgets while a flush runs', () => {
  const db = useMigratedDb(sqliteDriver);
  it('a minute begun during a flush keeps its budget: one record, the second counted', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const keeper = new AuditKeeper({
      db,
      now: () => new Date(now),
      logger: pino({ level: 'silent' }),
      denialsPerMinute: 1,
      retentionDays: 90,
    });
    const denial = (subject: string) => ({
      actor: { issuer: 'https://issuer.example', subject },
      action: 'PATCH /todos/:id',
      outcome: 'denied' as const,
    });
    // Minute 1: a and b each written once; a also counted once (pending at the flush).
    for (const who of ['a', 'b', 'a']) await keeper.recordDenial(denial(who));
    now += 61_000;
    // The flush awaits a's count while b's next minute begins; then b is refused again.
    const flushed = keeper.flush();
    await keeper.recordDenial(denial('b'));
    await flushed;
    await keeper.recordDenial(denial('b'));
    await keeper.flush();
    const rows = await db.kysely
      .selectFrom('audit_log')
      .select(['actor_sub', 'suppressed', 'at'])
      .where('actor_sub', '=', 'b')
      .where('at', '>=', new Date(now - 1000).toISOString())
      .execute();
    expect(rows.map((r) => [r.actor_sub, Number(r.suppressed)])).toEqual([['b', 1]]);
  });
});
