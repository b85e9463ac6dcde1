import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listRepository } from '../src/lists/repository.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { migrateToBefore } from './support/migrations.js';

const ISSUER = 'https://idp.test/realms/todo-app';
const AT = '2025-03-01T08:00:00.000Z';

describe.each(drivers)('migration to list versions on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const lists = ['alice', 'bob', 'carol'].map((name, i) => ({
    id: randomUUID(),
    owner_issuer: ISSUER,
    owner_sub: `${name}-sub`,
    name: `${name}'s list`,
    is_default: i === 0,
    created_at: AT,
    updated_at: AT,
  }));
  const db = suiteFixture(
    skip,
    async () => {
      const opened = openDatabase(database.config);
      await migrateToBefore(opened, '006-list-version');
      // The previous schema had no version: the rows are written without one.
      await opened.kysely
        .insertInto('lists')
        .values(lists.map((l) => ({ ...l, is_default: opened.bool(l.is_default) })) as never)
        .execute();
      await opened.kysely
        .insertInto('list_members')
        .values(
          lists.map((l) => ({
            list_id: l.id,
            member_issuer: ISSUER,
            member_sub: l.owner_sub,
            relation: 'owner' as const,
            created_at: AT,
          })),
        )
        .execute();
      expect(await migrateToLatest(opened)).toContain('006-list-version');
      return opened;
    },
    (opened) => opened.close(),
  );

  it.skipIf(skip)('gives every existing list version 1 and changes nothing else', async () => {
    expect(await rowCount(db, 'lists')).toBe(lists.length);
    const rows = await db.kysely.selectFrom('lists').selectAll().orderBy('name').execute();
    expect(rows.map((r) => [r.id, r.name, Boolean(r.is_default), Number(r.version)])).toEqual(
      lists.map((l) => [l.id, l.name, l.is_default, 1]),
    );
  });

  it.skipIf(skip)(
    'a rename moves the version on; a conditional one needs the current',
    async () => {
      const [first] = lists;
      if (!first) throw new Error('no list');
      const repo = listRepository(db);
      const owner = { issuer: ISSUER, subject: first.owner_sub };
      expect(await repo.rename(first.id, 'Renamed', new Date(), db.kysely, 1)).toBe(true);
      expect(await repo.rename(first.id, 'Stale', new Date(), db.kysely, 1)).toBe(false);
      expect(await repo.get(owner, first.id)).toMatchObject({ name: 'Renamed', version: 2 });
      expect(await repo.remove(first.id, db.kysely, 1)).toBe(false);
      expect(await repo.remove(first.id, db.kysely, 2)).toBe(true);
    },
  );
});
