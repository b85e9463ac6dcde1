import type { DatabaseConfig } from '../config/config.js';
import { inspectPostgres } from './inspect-postgres.js';
import { inspectSqlite } from './inspect-sqlite.js';
import type { DatabaseInspection } from './schema-state.js';

export type { DatabaseInspection, DatabaseProblem } from './schema-state.js';

/**
 * What the API would find in its database at start, read without changing anything: whether it
 * can connect, whether the schema is at this release's migrations (pending ones are applied at
 * start; ones this release does not know stop it), and whether the user can write.
 */
export async function inspectDatabase(
  config: DatabaseConfig,
  timeoutMs = 5000,
): Promise<DatabaseInspection> {
  return config.kind === 'sqlite'
    ? inspectSqlite(config.file)
    : inspectPostgres(config.url, timeoutMs);
}
