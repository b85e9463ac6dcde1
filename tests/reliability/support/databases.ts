import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The PostgreSQL server the suites use (`TEST_DATABASE_URL`). */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://todo_sso:todo_sso@127.0.0.1:5432/todo_sso_test';

async function reachable(): Promise<boolean> {
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
    if (process.env.REQUIRE_POSTGRES === '1')
      throw new Error(
        `REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: ${(error as Error).message}`,
      );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether PostgreSQL suites run; under REQUIRE_POSTGRES=1 an unreachable server throws. */
export const postgresAvailable = await reachable();

/** A database of the suite's own: an SQLite file or a fresh PostgreSQL database. */
export interface SuiteDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** `DATABASE_URL` (PostgreSQL) or `DATA_DIR` (SQLite) for `loadConfig`. */
  readonly env: Record<string, string>;
  /** PostgreSQL only: host and port, for a proxy in front of it. */
  readonly target?: { host: string; port: number };
  /** Rewrites the URL to go through `host:port` instead (PostgreSQL only). */
  via(host: string, port: number): Record<string, string>;
  drop(): Promise<void>;
}

export function sqliteDatabase(): SuiteDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'todo-reliability-'));
  return {
    kind: 'sqlite',
    env: { DATA_DIR: dir },
    via: () => ({ DATA_DIR: dir }),
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database named `todo_rel_<hex>`, dropped with its connections by `drop()`. */
export async function postgresDatabase(): Promise<SuiteDatabase> {
  const name = `todo_rel_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    target: { host: url.hostname, port: Number(url.port || 5432) },
    via(host, port) {
      const proxied = new URL(url);
      proxied.hostname = host;
      proxied.port = String(port);
      return { DATABASE_URL: proxied.toString() };
    },
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The engines every consistency suite runs on. */
export const engines = [
  { engine: 'sqlite' as const, skip: false, create: async () => sqliteDatabase() },
  { engine: 'postgres' as const, skip: !postgresAvailable, create: postgresDatabase },
];
