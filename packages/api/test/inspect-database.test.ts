import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../src/db/database.js';
import { inspectDatabase } from '../src/db/inspect.js';
import { MigrationError, migrateToLatest, migrationNames, migrations } from '../src/db/migrate.js';
import { drivers, useTestDatabase } from './support/databases.js';

/**
 * What `todo doctor` says about the API's database before the API starts on it, held to what the
 * API then does on the same database: a schema behind this release is migrated at start (the
 * pending migrations named), one a newer release migrated stops it, and a user that cannot
 * write is named before the first write fails. Real SQLite files and PostgreSQL databases.
 */
const names = migrationNames();
const latest = names.at(-1) as string;
const previous = names.at(-2) as string;

async function migrateTo(db: Db, name: string): Promise<void> {
  const provider = { getMigrations: async () => migrations(db) };
  const { error } = await new Migrator({ db: db.kysely, provider }).migrateTo(name);
  if (error) throw error;
}

async function withDb<T>(config: Parameters<typeof openDatabase>[0], work: (db: Db) => Promise<T>) {
  const db = openDatabase(config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

describe.each(drivers)('inspectDatabase on $driver', ({ driver, skip, create }) => {
  const database = useTestDatabase({ skip, create });

  it.skipIf(skip)(
    'a database the API has not used yet: no problem, and nothing created',
    async () => {
      const found = await inspectDatabase(database.config);
      expect(found.problem).toBeUndefined();
      if (database.config.kind === 'sqlite') {
        expect(found.schema).toBe(
          'not created yet: the API creates the file and its tables when it starts',
        );
        expect(existsSync(database.config.file)).toBe(false);
      } else {
        expect(found.schema).toBe(
          `empty: the API creates its tables (${names.length} migrations) when it starts`,
        );
        expect(found.writes).toMatch(/^allowed for the user \S+$/);
      }
    },
  );

  it.skipIf(skip)(
    'a schema one release behind names the pending migration, which the API then applies',
    async () => {
      await withDb(database.config, (db) => migrateTo(db, previous));
      const found = await inspectDatabase(database.config);
      expect(found.problem).toBeUndefined();
      expect(found.schema).toBe(
        `1 of ${names.length} migrations pending (${latest}): the API applies them when it starts`,
      );
      expect(await withDb(database.config, migrateToLatest)).toEqual([latest]);
      expect((await inspectDatabase(database.config)).schema).toBe(`up to date (${latest})`);
    },
  );

  it.skipIf(skip)(
    'a schema a newer release migrated: the problem the API then refuses to start with',
    async () => {
      await withDb(database.config, (db) =>
        sql`insert into kysely_migration (name, timestamp) values ('999-from-a-newer-release', '2030-01-01T00:00:00.000Z')`.execute(
          db.kysely,
        ),
      );
      const found = await inspectDatabase(database.config);
      expect(found.problem?.code).toBe('database_newer');
      expect(found.problem?.message).toMatch(
        /^the database has migration 999-from-a-newer-release, which this release does not know/,
      );
      await expect(withDb(database.config, migrateToLatest)).rejects.toThrow(MigrationError);
      await withDb(database.config, (db) =>
        sql`delete from kysely_migration where name = '999-from-a-newer-release'`.execute(
          db.kysely,
        ),
      );
      expect((await inspectDatabase(database.config)).problem).toBeUndefined();
    },
  );

  it.skipIf(skip || driver !== 'postgres')(
    'PostgreSQL: read-only sessions and a missing grant are named before a write fails',
    async () => {
      if (database.config.kind !== 'postgres') return;
      const readOnly = new URL(database.config.url);
      readOnly.searchParams.set('options', '-c default_transaction_read_only=on');
      const found = await inspectDatabase({ kind: 'postgres', url: readOnly.toString() });
      expect(found.problem?.code).toBe('database_read_only');
      expect(found.problem?.message).toMatch(
        /cannot be written: its sessions are read-only \(default_transaction_read_only\)/,
      );
      const client = new pg.Client({ connectionString: readOnly.toString() });
      await client.connect();
      try {
        await expect(
          client.query(`insert into owners (issuer, sub, last_seen_at) values ('i', 's', now())`),
        ).rejects.toMatchObject({ code: '25006' });
      } finally {
        await client.end();
      }
      // The owner may take a privilege from itself: then the API could not insert a todo.
      await withDb(database.config, (db) =>
        sql`revoke insert on todos from current_user`.execute(db.kysely),
      );
      const revoked = await inspectDatabase(database.config);
      expect(revoked.problem?.code).toBe('database_read_only');
      expect(revoked.problem?.message).toMatch(
        /^the user \S+ may not read and write todos \(SELECT, INSERT, UPDATE, DELETE\)/,
      );
      await withDb(database.config, (db) =>
        sql`grant insert on todos to current_user`.execute(db.kysely),
      );
      expect((await inspectDatabase(database.config)).writes).toMatch(/^allowed for the user /);
    },
  );

  // The superuser writes any file whatever its mode: the check cannot be exercised as root.
  it.skipIf(skip || driver !== 'sqlite' || process.getuid?.() === 0)(
    'SQLite: a file this user cannot write is named',
    async () => {
      if (database.config.kind !== 'sqlite') return;
      chmodSync(database.config.file, 0o444);
      try {
        const found = await inspectDatabase(database.config);
        expect(found.problem?.code).toBe('database_read_only');
        expect(found.problem?.message).toContain(
          `${database.config.file} is not writable by this user`,
        );
      } finally {
        chmodSync(database.config.file, 0o644);
      }
    },
  );
});

describe('an SQLite file under DATA_DIR that passes through a file', () => {
  it('is named, as the API then fails to create its folder (ENOTDIR)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'todo-inspect-notdir-'));
    try {
      writeFileSync(join(dir, 'data'), '');
      const file = join(dir, 'data', 'sub', 'todo.db');
      const found = await inspectDatabase({ kind: 'sqlite', file });
      expect(found.problem).toEqual({
        code: 'database_unusable',
        message: `${join(dir, 'data')} is a file, not a directory, and the API creates ${file} below it when it starts: set DATA_DIR to a directory (or one to create)`,
      });
      expect(() => openDatabase({ kind: 'sqlite', file })).toThrow(/ENOTDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
