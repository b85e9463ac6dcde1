import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/config.js';
import { type Db, openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Schema } from '../../src/db/schema.js';
import { suiteFixture } from './fixture.js';

/** The PostgreSQL server tests use (`TEST_DATABASE_URL`). */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso_test';

const requirePostgres = process.env.REQUIRE_POSTGRES === '1';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (requirePostgres) {
      throw new Error(
        `REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: ${(error as Error).message}`,
      );
    }
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether the PostgreSQL suites run; with REQUIRE_POSTGRES=1 an unreachable server throws. */
export const postgresAvailable = await postgresReachable();

/** A database of its own for one test file or suite, removed by `drop()`. */
export interface TestDatabase {
  readonly config: DatabaseConfig;
  /** Removes the database (and, on PostgreSQL, ends its connections). */
  drop(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory. */
export function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'todo-api-'));
  return {
    config: { kind: 'sqlite', file: join(dir, 'todo.db') },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh PostgreSQL database created for the caller, so parallel test files never see each
 * other's rows or `NOTIFY` traffic; dropped (with its connections) by `drop()`. With
 * `icuLocale` its default collation is that ICU locale's (as a database initialised with a
 * language's locale has) rather than the server's.
 */
export async function postgresDatabase(
  options: { readonly icuLocale?: string } = {},
): Promise<TestDatabase> {
  const name = `todo_api_test_${randomBytes(6).toString('hex')}`;
  const locale =
    options.icuLocale === undefined
      ? ''
      : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replace(/[^A-Za-z0-9-]/g, '')}'`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    // CREATE DATABASE copies template1 and fails (55006) while another session holds it, as a
    // parallel test file's CREATE DATABASE briefly does: retry a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name}${locale}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt === 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString() },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await dropDatabase(client, name);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Drops database `name`, ending the suite's sessions still on it. `WITH (FORCE)` ends every
 * session, but only those of roles the caller may signal: an autovacuum worker that happens to
 * be on the database belongs to no role, and FORCE then fails with 42501. A plain `DROP
 * DATABASE` cancels autovacuum itself, so after ending this role's own sessions it is used.
 */
async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()`,
      [name],
    );
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
  }
}

export type DriverName = 'sqlite' | 'postgres';

/** A database engine a suite runs on, and how to get a fresh database of it. */
export interface Driver {
  readonly driver: DriverName;
  /** PostgreSQL is skipped only when unreachable and not required. */
  readonly skip: boolean;
  create(): Promise<TestDatabase>;
}

/** SQLite alone, for a suite about SQLite's behaviour. */
export const sqliteDriver: Driver = {
  driver: 'sqlite',
  skip: false,
  create: async () => sqliteDatabase(),
};

/** The drivers every integration suite runs on: `describe.each(drivers)`. */
export const drivers: Driver[] = [
  sqliteDriver,
  { driver: 'postgres', skip: !postgresAvailable, create: postgresDatabase },
];

/** A fresh database for the enclosing suite (none when `skip`), dropped after it. */
export function useTestDatabase({ skip, create }: Pick<Driver, 'skip' | 'create'>): TestDatabase {
  return suiteFixture(skip, create, (database) => database.drop());
}

/**
 * An empty database of `driver` at each call, for one test of the enclosing suite at a time: on
 * SQLite a new file (removed by its `drop()`); on PostgreSQL the suite's own database (created
 * once, dropped after the suite) emptied, its `public` schema dropped and made again, which costs
 * a fraction of a CREATE DATABASE and a DROP DATABASE (its `drop()` does nothing). Whatever the
 * previous test left connected must be closed before the next call.
 */
export function useEmptyDatabase(driver: Driver): () => Promise<TestDatabase> {
  if (driver.driver !== 'postgres') return driver.create;
  const database = useTestDatabase(driver);
  return async () => {
    const { config } = database;
    const client = new pg.Client({ connectionString: (config as { url: string }).url });
    await client.connect();
    try {
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    } finally {
      await client.end();
    }
    return { config, drop: async () => {} };
  };
}

/** An open, migrated database, with the config that opens it again. */
export interface MigratedDb extends Db {
  readonly config: DatabaseConfig;
}

/** A fresh database for the enclosing suite, opened and migrated; closed and dropped after it. */
export function useMigratedDb(driver: Pick<Driver, 'skip' | 'create'>): MigratedDb {
  const database = useTestDatabase(driver);
  return suiteFixture(
    driver.skip,
    async () => {
      const db = openDatabase(database.config);
      try {
        await migrateToLatest(db);
      } catch (error) {
        await db.close();
        throw error;
      }
      return { ...db, config: database.config };
    },
    (db) => db.close(),
  );
}

/** How many rows `table` holds (PostgreSQL counts as a string, SQLite as a number). */
export async function rowCount(db: Db, table: keyof Schema): Promise<number> {
  const row = await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
