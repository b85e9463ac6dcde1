import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  postgresDatabase as freshPostgresDatabase,
  postgresAvailable,
  TEST_DATABASE_URL,
} from '../../../packages/api/test/support/databases.js';

export { postgresAvailable, TEST_DATABASE_URL };

/**
 * A database of the suite's own: an SQLite directory or a fresh PostgreSQL database, created
 * by the API's test support (which also retries CREATE DATABASE while template1 is busy with a
 * parallel file's), described here as the environment a child-process API reads.
 */
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

/** A fresh PostgreSQL database, dropped with its connections by `drop()`. */
export async function postgresDatabase(): Promise<SuiteDatabase> {
  const database = await freshPostgresDatabase();
  if (database.config.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
  const url = new URL(database.config.url);
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
    drop: () => database.drop(),
  };
}

/** The engines every consistency suite runs on. */
export const engines = [
  { engine: 'sqlite' as const, skip: false, create: async () => sqliteDatabase() },
  { engine: 'postgres' as const, skip: !postgresAvailable, create: postgresDatabase },
];
