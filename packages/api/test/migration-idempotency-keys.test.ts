import { randomUUID } from 'node:crypto';
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { migrations } from '../src/db/migrate.js';
import { drivers, rowCount, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startHarness } from './support/harness.js';
import { migrateToBefore } from './support/migrations.js';

/**
 * A database of the release before idempotency keys, with a todo in it: the API started on it
 * adds `idempotency_keys` and answers a keyed create's retry, the old todo kept; the migration
 * goes down and up again.
 */
describe.each(drivers)('migration to idempotency keys on $driver', ({ skip, create }) => {
  const database = useTestDatabase({ skip, create });
  const h = suiteFixture(
    skip,
    async () => {
      const old = openDatabase(database.config);
      try {
        await migrateToBefore(old, '014-idempotency-keys');
        await expect(rowCount(old, 'idempotency_keys')).rejects.toThrow();
      } finally {
        await old.close();
      }
      // The API migrates at start, as an upgrade does.
      const harness = await startHarness(database.config);
      return harness;
    },
    (harness) => harness.close(),
  );

  it.skipIf(skip)('keeps what was there and stores keys from the first create on', async () => {
    const before = await h.as('alice', { method: 'POST', url: '/todos/', payload: { title: 'A' } });
    expect(before.statusCode).toBe(201);
    const key = randomUUID();
    const request = {
      method: 'POST' as const,
      url: '/todos/',
      payload: { title: 'B' },
      headers: { 'idempotency-key': key },
    };
    const first = await h.as('alice', request);
    const again = await h.as('alice', request);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await rowCount(h.context.db, 'todos')).toBe(2);
    expect(await rowCount(h.context.db, 'idempotency_keys')).toBe(1);
  });

  it.skipIf(skip)('goes down (the table dropped) and up again', async () => {
    const { db } = h.context;
    const migrator = new Migrator({
      db: db.kysely,
      provider: { getMigrations: async () => migrations(db) },
    });
    const down = await migrator.migrateTo('013-list-members-code-point');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toEqual([
      '017-role-revocations',
      '016-idempotency-key-client',
      '015-idempotency-key-location',
      '014-idempotency-keys',
    ]);
    await expect(rowCount(db, 'idempotency_keys')).rejects.toThrow();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await rowCount(db, 'idempotency_keys')).toBe(0);
    expect(await rowCount(db, 'todos')).toBe(2);
  });
});
