import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listRepository } from '../src/lists/repository.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { migrateTo } from './support/migrations.js';

const ISSUER = 'https://idp.test/realms/todo-app';
const AT = '2025-03-01T08:00:00.000Z';

/**
 * People recorded before sharing by email required a verified address (OpenID Connect Core
 * §5.7): `mallory` signed in with `victim@example.com`, which her provider never checked. After
 * the upgrade the address must not find her; usernames still find everyone.
 */
describe.each(drivers)('recorded emails after the upgrade on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const db = suiteFixture(
    skip,
    async () => {
      const opened = openDatabase(database.config);
      await migrateTo(opened, '009-list-sizes');
      await opened.kysely
        .insertInto('owners')
        .values(
          [
            ['mallory', 'victim@example.com'],
            ['alice', 'alice@example.com'],
          ].map(([username, email]) => ({
            issuer: ISSUER,
            sub: `${username}-sub`,
            username,
            email,
            department: null,
            last_seen_at: AT,
          })) as never,
        )
        .execute();
      await migrateToLatest(opened);
      return opened;
    },
    (opened) => opened.close(),
  );

  it.skipIf(skip)(
    'finds nobody by an email recorded before, and everyone by username',
    async () => {
      const lists = listRepository(db);
      expect(await lists.findPeople('victim@example.com', ISSUER)).toEqual([]);
      expect(await lists.findPeople('alice@example.com', ISSUER)).toEqual([]);
      expect(await lists.findPeople('mallory', ISSUER)).toEqual([
        { issuer: ISSUER, subject: 'mallory-sub', username: 'mallory' },
      ]);
    },
  );
});
