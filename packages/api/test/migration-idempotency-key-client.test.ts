import { randomUUID } from 'node:crypto';
import { alice, bob } from '@todo-sso/auth/testing';
import { type Kysely, Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { migrations } from '../src/db/migrate.js';
import { pruneIdempotencyKeys } from '../src/todos/idempotency.js';
import { drivers, useTestDatabase } from './support/databases.js';
import { suiteFixture } from './support/fixture.js';
import { startInstance, testConfig, useIssuer } from './support/harness.js';
import { migrateTo } from './support/migrations.js';

const AT = new Date().toISOString();
const BEFORE = '015-idempotency-key-location';

/** A stored answer as the release of 015 wrote it (no client), for `sub` and `key`. */
const row = (issuer: string, sub: string, key: string, created_at = AT) => ({
  issuer,
  sub,
  key,
  fingerprint: 'f'.repeat(64),
  status: 201,
  body: JSON.stringify({ id: key, title: `todo of ${sub}` }),
  location: `/todos/${key}`,
  etag: '"1"',
  created_at,
});

type Loose = Kysely<Record<string, Record<string, unknown>>>;
/** The stored keys, by person, key and client (before 016, without a client). */
const keysOf = async (db: Db) => {
  const rows = await (db.kysely as unknown as Loose)
    .selectFrom('idempotency_keys')
    .selectAll()
    .execute();
  const order = (r: Record<string, unknown>) => `${r.sub} ${r.key} ${r.client_id ?? ''}`;
  return rows.sort((a, b) => (order(a) < order(b) ? -1 : 1));
};

/** PostgreSQL: the table's storage file (a rewrite of the table gives it a new one). */
async function tableFile(db: Db): Promise<unknown> {
  if (db.dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ file: unknown }>`
    select relfilenode as file from pg_class where relname = 'idempotency_keys'`.execute(db.kysely);
  return rows[0]?.file;
}

/**
 * A database at 015 holding stored keys (written without a client): 016 keeps every row with the
 * empty client, without rewriting the table on PostgreSQL; the person's client does not find
 * them (a retry after the upgrade is a new create), the sweep and a delete still reach them; the
 * migration goes down (colliding clients' keys reduced to the oldest) and up again.
 */
describe.each(drivers)('migration of idempotency keys to per client on $driver', (driver) => {
  const idp = useIssuer(driver.skip, { profile: 'keycloak' });
  const database = useTestDatabase(driver);
  const keys = [randomUUID(), randomUUID()].sort();
  const state = suiteFixture(
    driver.skip,
    async () => {
      const old = openDatabase(database.config);
      let file: unknown;
      let before: unknown[];
      try {
        await migrateTo(old, BEFORE);
        const k = old.kysely as unknown as Loose;
        const [first, second] = keys as [string, string];
        await k
          .insertInto('idempotency_keys')
          .values([row(idp.issuer, alice.sub, first), row(idp.issuer, alice.sub, second)])
          .execute();
        await k
          .insertInto('idempotency_keys')
          .values(row(idp.issuer, bob.sub, first))
          .execute();
        before = await keysOf(old);
        file = await tableFile(old);
      } finally {
        await old.close();
      }
      // The API migrates at start, as an upgrade does.
      const instance = await startInstance(testConfig(idp, database.config));
      return { instance, before, file };
    },
    ({ instance }) => instance.close(),
  );

  it.skipIf(driver.skip)('keeps every row, with the empty client, in place', async () => {
    const { instance, before, file } = state;
    const after = await keysOf(instance.context.db);
    expect(after).toHaveLength(3);
    expect(after.map(({ client_id, ...rest }) => rest)).toEqual(before);
    expect(after.every((r) => r.client_id === '')).toBe(true);
    expect(await tableFile(instance.context.db)).toBe(file);
  });

  it.skipIf(driver.skip)(
    'answers the person’s client from its own keys only, and still sweeps the old ones',
    async () => {
      const { instance } = state;
      const key = keys[0] as string;
      const token = await idp.accessToken(alice);
      const request = {
        method: 'POST' as const,
        url: '/todos/',
        payload: { title: 'todo of alice' },
        headers: { 'idempotency-key': key, authorization: `Bearer ${token}` },
      };
      const first = await instance.app.inject(request);
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await instance.app.inject(request);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toBe(first.body);
      const mine = (await keysOf(instance.context.db)).filter((r) => r.sub === alice.sub);
      expect(mine.map((r) => [r.key, r.client_id])).toEqual([
        [key, ''],
        [key, 'todo-ui'],
        [keys[1], ''],
      ]);
      // A day later the sweep deletes them all, old and new.
      const later = new Date(Date.now() + 24 * 60 * 60 * 1000 + 1000);
      expect(await pruneIdempotencyKeys(instance.context.db.kysely, later)).toBe(4n);
    },
  );

  it.skipIf(driver.skip)('goes down, one row per person and key, and up again', async () => {
    const { db } = state.instance.context;
    const { issuer } = idp;
    const k = db.kysely as unknown as Loose;
    const key = randomUUID();
    const older = new Date(Date.now() - 1000).toISOString();
    await k
      .insertInto('idempotency_keys')
      .values([
        { ...row(issuer, alice.sub, key, new Date().toISOString()), client_id: 'todo-ui' },
        { ...row(issuer, alice.sub, key, older), client_id: 'agent-client' },
        { ...row(issuer, alice.sub, key, older), client_id: 'agent-other' },
      ])
      .execute();
    const migrator = new Migrator({
      db: db.kysely,
      provider: { getMigrations: async () => migrations(db) },
    });
    const down = await migrator.migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toEqual([
      '017-role-revocations',
      '016-idempotency-key-client',
    ]);
    const kept = await keysOf(db);
    expect(kept).toEqual([
      { ...row(issuer, alice.sub, key, older), created_at: kept[0]?.created_at },
    ]);
    expect(new Date(kept[0]?.created_at as string).toISOString()).toBe(older);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect((await keysOf(db)).map((r) => r.client_id)).toEqual(['']);
  });
});
