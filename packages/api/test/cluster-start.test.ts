import { alice } from '@todo-sso/auth/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrations } from '../src/db/migrate.js';
import { type Driver, drivers, useTestDatabase } from './support/databases.js';
import { type Instance, startInstance, testConfig, useIssuer } from './support/harness.js';

/**
 * Several API instances starting at once on one empty database, as a Deployment's replicas do
 * on a first roll-out: the schema is migrated exactly once (PostgreSQL: Kysely's advisory lock
 * and transactional DDL; SQLite: the lock row written first), and every instance then serves.
 */
describe.each(drivers)('instances starting together on one empty $driver database', (driver) => {
  const { skip } = driver as Driver;
  const database = useTestDatabase(driver);
  const idp = useIssuer(skip, { profile: 'keycloak' });

  it.skipIf(skip)('migrate it once, and each of them serves', async () => {
    const config = testConfig(idp, database.config);
    const started = await Promise.allSettled([1, 2, 3].map(() => startInstance(config)));
    const instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(started.filter((s) => s.status === 'rejected')).toEqual([]);
      const db = (instances[0] as Instance).context.db;
      const applied = await sql<{
        name: string;
      }>`select name from kysely_migration order by name`.execute(db.kysely);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations(db)));
      const token = await idp.accessToken(alice);
      const created = await Promise.all(
        instances.map((instance, i) =>
          instance.app.inject({
            method: 'POST',
            url: '/todos/',
            headers: { authorization: `Bearer ${token}` },
            payload: { title: `from instance ${i}` },
          }),
        ),
      );
      expect(created.map((r) => r.statusCode)).toEqual([201, 201, 201]);
      // One default list for alice, though all three made it on first use at once.
      const lists = created.map((r) => r.json().listId);
      expect(new Set(lists).size).toBe(1);
    } finally {
      await Promise.all(instances.map((i) => i.close()));
    }
  });

  it.skipIf(skip)(
    'an instance of an older release refuses to start on a schema a newer one migrated',
    async () => {
      const db = openDatabase(database.config);
      try {
        // A newer release's migration, recorded as applied.
        await db.kysely
          .insertInto('kysely_migration' as never)
          .values({
            name: '999-from-a-newer-release',
            timestamp: new Date().toISOString(),
          } as never)
          .execute();
      } finally {
        await db.close();
      }
      await expect(startInstance(testConfig(idp, database.config))).rejects.toMatchObject({
        code: 'ERR_API_MIGRATION',
        // What `todo-api: failed to start:` prints: the operator learns why, not just "failed".
        message: expect.stringMatching(
          /^the database has migration 999-from-a-newer-release, which this release does not know: a newer release migrated it/,
        ),
      });
    },
  );
});
