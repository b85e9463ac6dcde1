import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { InvalidCursorError } from '../src/repositories/cursor.js';
import { ownerRepository } from '../src/repositories/owners.js';
import { todoRepository } from '../src/todos/repository.js';
import { drivers, useMigratedDb } from './support/databases.js';

const alice = { issuer: 'https://idp.test/realms/a', subject: 'alice-sub' };
const bob = { issuer: 'https://idp.test/realms/a', subject: 'bob-sub' };

describe.each(drivers)('repositories on $driver', ({ skip, create }) => {
  const db = useMigratedDb({ skip, create });

  it.skipIf(skip)('applies the migrations once and is a no-op the second time', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
    const again = openDatabase(db.config);
    try {
      expect(await migrateToLatest(again)).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it.skipIf(skip)('scopes every todo query to its owner', async () => {
    const todos = todoRepository(db);
    const mine = await todos.create(alice, { title: 'alice only' }, new Date());
    expect(await todos.get(alice, mine.id)).toMatchObject({
      title: 'alice only',
      completed: false,
    });
    expect(await todos.get(bob, mine.id)).toBeUndefined();
    expect(await todos.update(bob, mine.id, { title: 'stolen' }, new Date())).toBeUndefined();
    expect(await todos.remove(bob, mine.id)).toBe(false);
    expect((await todos.get(alice, mine.id))?.title).toBe('alice only');
    expect(await todos.remove(alice, mine.id)).toBe(true);
    expect(await todos.get(alice, mine.id)).toBeUndefined();
  });

  it.skipIf(skip)(
    'pages newest first without gaps or repeats while rows are inserted',
    async () => {
      const todos = todoRepository(db);
      const owner = { issuer: alice.issuer, subject: 'pager' };
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      // Ties on created_at are broken by id, so identical timestamps still page correctly.
      for (let i = 0; i < 25; i++) {
        await todos.create(
          owner,
          { title: `t${i}`, completed: i % 2 === 0 },
          new Date(base + Math.floor(i / 3)),
        );
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await todos.list(owner, { limit: 7, ...(cursor && { cursor }) });
        seen.push(...page.items.map((t) => t.title));
        cursor = page.nextCursor ?? undefined;
        pages++;
        // A concurrent insert lands before the cursor (it is newer) and never shifts later pages.
        if (pages === 1) await todos.create(owner, { title: 'late' }, new Date(base + 1000));
      } while (cursor);
      expect(pages).toBe(4);
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen).not.toContain('late');
      const done = await todos.list(owner, { limit: 100, completed: true });
      expect(done.items).toHaveLength(13);
      expect(done.items.every((t) => t.completed)).toBe(true);
    },
  );

  it.skipIf(skip)('rejects a forged cursor before it reaches SQL', async () => {
    const todos = todoRepository(db);
    const forged = Buffer.from(JSON.stringify(["2026' or 1=1", 'x'])).toString('base64url');
    await expect(todos.list(alice, { limit: 5, cursor: forged })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(todos.list(alice, { limit: 5, cursor: '%%%' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  it.skipIf(skip)('counts a department’s todos per state through the owners table', async () => {
    const todos = todoRepository(db);
    const owners = ownerRepository(db);
    const now = new Date();
    const carol = { issuer: alice.issuer, subject: 'carol-sub' };
    await owners.touch({ ...carol, username: 'carol', email: null, department: 'research' }, now);
    await todos.create(carol, { title: 'a', completed: true }, now);
    await todos.create(carol, { title: 'b' }, now);
    expect(await owners.departmentCounts('research')).toEqual({
      total: 2,
      completed: 1,
      pending: 1,
    });
    expect(await owners.departmentCounts('nobody')).toEqual({ total: 0, completed: 0, pending: 0 });
    const summary = (await owners.summaries()).find((o) => o.sub === 'carol-sub');
    expect(summary).toMatchObject({ username: 'carol', todos: 2, completed: 1 });
  });
});
