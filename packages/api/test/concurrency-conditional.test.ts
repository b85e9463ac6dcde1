import { describe, expect, it } from 'vitest';
import {
  as,
  audited,
  noServerError,
  statuses,
  together,
  useListening,
} from './support/concurrency.js';
import { drivers } from './support/databases.js';
import { useHarness } from './support/harness.js';

/**
 * Writes to one todo or list sent together over real HTTP, on SQLite and PostgreSQL (two
 * instances on PostgreSQL: `cluster-writes.test.ts`). With `If-Match` (RFC 9110 §13.1.1) from
 * one version exactly one wins and the others are 412 with the winner's state; the stored
 * version moves once per winner, and the audit log holds one record per answered change and
 * none for a refusal. Without it, no change is lost: every one is applied and recorded.
 */
describe.each(drivers)('writes to one row at once, on $driver', ({ skip, create }) => {
  const h = useHarness({ skip, create });
  const node = useListening(h);
  const ROUNDS = 5;
  const AT_ONCE = 6;

  async function newTodo(title: string): Promise<string> {
    const made = await as(h, node, 'alice', 'POST', '/todos/', { body: { title } });
    expect(made.status).toBe(201);
    return made.body.id as string;
  }

  it.skipIf(skip)(
    'If-Match PATCHes from one version: one 200, the rest 412 with its version',
    async () => {
      const id = await newTodo('contested');
      const url = `/todos/${id}`;
      for (let version = 1; version <= ROUNDS; version++) {
        const answers = await together(AT_ONCE, (i) =>
          as(h, node, 'alice', 'PATCH', url, {
            headers: { 'if-match': `"${version}"` },
            body: { title: `writer ${i} from ${version}` },
          }),
        );
        noServerError(answers);
        expect(statuses(answers)).toEqual({ 200: 1, 412: AT_ONCE - 1 });
        const winner = answers.find((a) => a.status === 200);
        expect(winner?.body.version).toBe(version + 1);
        for (const lost of answers.filter((a) => a.status === 412)) {
          expect(lost.headers.get('etag')).toBe(`"${version + 1}"`);
          expect(lost.body.current).toMatchObject({ title: winner?.body.title });
        }
        const read = await as(h, node, 'alice', 'GET', url);
        expect(read.body).toMatchObject({ version: version + 1, title: winner?.body.title });
        expect(await audited(h.context.db, 'todo.update', `todo:${id}`)).toBe(version);
      }
    },
  );

  it.skipIf(skip)(
    'If-None-Match PATCHes at once, naming a tag the todo never has: each 200 or 412, never 404 for the todo that is there',
    async () => {
      const id = await newTodo('unmatched');
      const answers = await together(AT_ONCE, (i) =>
        as(h, node, 'alice', 'PATCH', `/todos/${id}`, {
          headers: { 'if-none-match': '"0"' },
          body: { title: `writer ${i}` },
        }),
      );
      noServerError(answers);
      // A write that read one version and found another (a concurrent change) cannot tell
      // whether the condition (RFC 9110 §13.1.2) still holds of what it would change: 412.
      const { 200: won = 0, ...rest } = statuses(answers);
      expect(Object.keys(rest).filter((s) => s !== '412')).toEqual([]);
      expect(won).toBeGreaterThan(0);
      const read = await as(h, node, 'alice', 'GET', `/todos/${id}`);
      expect(read.body.version).toBe(1 + won);
      expect(await audited(h.context.db, 'todo.update', `todo:${id}`)).toBe(won);
    },
  );

  it.skipIf(skip)(
    'PATCHes without If-Match: every change applied, each answered its own version',
    async () => {
      const id = await newTodo('counted');
      const answers = await together(AT_ONCE * 2, (i) =>
        as(h, node, 'alice', 'PATCH', `/todos/${id}`, { body: { completed: i % 2 === 0 } }),
      );
      expect(statuses(answers)).toEqual({ 200: AT_ONCE * 2 });
      // No lost update: the versions answered are 2, 3, … each once, and the last is stored.
      const versions = answers.map((a) => a.body.version as number).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: AT_ONCE * 2 }, (_, i) => i + 2));
      const read = await as(h, node, 'alice', 'GET', `/todos/${id}`);
      expect(read.body.version).toBe(AT_ONCE * 2 + 1);
      expect(await audited(h.context.db, 'todo.update', `todo:${id}`)).toBe(AT_ONCE * 2);
    },
  );

  it.skipIf(skip)(
    'an If-Match DELETE and PATCHes from one version: one of them, as in some order',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const id = await newTodo(`doomed ${round}`);
        const url = `/todos/${id}`;
        const headers = { 'if-match': '"1"' };
        const [removal, ...patches] = await Promise.all([
          as(h, node, 'alice', 'DELETE', url, { headers }),
          ...Array.from({ length: 3 }, (_, i) =>
            as(h, node, 'alice', 'PATCH', url, { headers, body: { title: `p${i}` } }),
          ),
        ]);
        const all = [removal, ...patches].filter((a) => a !== undefined);
        noServerError(all);
        const deletes = await audited(h.context.db, 'todo.delete', `todo:${id}`);
        const updates = await audited(h.context.db, 'todo.update', `todo:${id}`);
        if (removal?.status === 204) {
          // The delete first: the PATCHes find it at version 1 (412 is impossible) or gone.
          for (const p of patches) expect([200, 404]).toContain(p.status);
          expect(patches.filter((p) => p.status === 200).length).toBe(0);
          expect({ deletes, updates }).toEqual({ deletes: 1, updates: 0 });
        } else {
          expect(removal?.status).toBe(412);
          expect(statuses(patches)).toEqual({ 200: 1, 412: 2 });
          expect({ deletes, updates }).toEqual({ deletes: 0, updates: 1 });
        }
      }
    },
  );

  it.skipIf(skip)(
    'If-Match renames of one list from one version: one 200, the rest 412',
    async () => {
      const made = await as(h, node, 'alice', 'POST', '/lists/', { body: { name: 'Renamed' } });
      const id = made.body.id as string;
      for (let version = 1; version <= ROUNDS; version++) {
        const answers = await together(AT_ONCE, (i) =>
          as(h, node, 'alice', 'PATCH', `/lists/${id}`, {
            headers: { 'if-match': `"${version}"` },
            body: { name: `name ${i} from ${version}` },
          }),
        );
        noServerError(answers);
        expect(statuses(answers)).toEqual({ 200: 1, 412: AT_ONCE - 1 });
        const winner = answers.find((a) => a.status === 200);
        for (const lost of answers.filter((a) => a.status === 412))
          expect(lost.headers.get('etag')).toBe(`"${version + 1}"`);
        const read = await as(h, node, 'alice', 'GET', `/lists/${id}`);
        expect(read.body).toMatchObject({ version: version + 1, name: winner?.body.name });
        expect(await audited(h.context.db, 'list.rename', `list:${id}`)).toBe(version);
      }
    },
  );

  it.skipIf(skip)('a list deleted several times at once: one 204, one record', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const made = await as(h, node, 'alice', 'POST', '/lists/', {
        body: { name: `Gone ${round}` },
      });
      const id = made.body.id as string;
      const answers = await together(4, () => as(h, node, 'alice', 'DELETE', `/lists/${id}`));
      noServerError(answers);
      expect(statuses(answers)).toEqual({ 204: 1, 404: 3 });
      expect(await audited(h.context.db, 'list.delete', `list:${id}`)).toBe(1);
    }
  });

  it.skipIf(skip)('a todo deleted several times at once: one 204, one record', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const id = await newTodo(`deleted ${round}`);
      const answers = await together(4, () => as(h, node, 'alice', 'DELETE', `/todos/${id}`));
      noServerError(answers);
      expect(statuses(answers)).toEqual({ 204: 1, 404: 3 });
      expect(await audited(h.context.db, 'todo.delete', `todo:${id}`)).toBe(1);
    }
  });
});
