import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Libsql from 'libsql';
import { type DatabaseInspection, NEWER, readOnly, schemaState } from './schema-state.js';

/** The nearest directory of `path` that exists: where the API would create what is missing. */
function existingParent(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The SQLite file as the API would find it at start, read only (never created here). */
export function inspectSqlite(file: string): DatabaseInspection {
  const location = `SQLite ${file}`;
  if (!existsSync(file)) {
    const dir = existingParent(file);
    // A file where a folder of the path should be: the API's mkdir fails (ENOTDIR).
    if (!statSync(dir).isDirectory())
      return {
        location,
        problem: {
          code: 'database_unusable',
          message: `${dir} is a file, not a directory, and the API creates ${file} below it when it starts: set DATA_DIR to a directory (or one to create)`,
        },
      };
    if (!writable(dir))
      return {
        location,
        problem: {
          code: 'database_unusable',
          message: `${dir} is not writable by this user, and the API creates ${file} there when it starts: let the user the API runs as write it, or set DATA_DIR to a directory it may write`,
        },
      };
    return {
      location,
      schema: 'not created yet: the API creates the file and its tables when it starts',
      writes: `allowed (${dir})`,
    };
  }
  let applied: string[];
  try {
    const sqlite = new Libsql(file);
    try {
      sqlite.exec('PRAGMA query_only = ON');
      const table = sqlite
        .prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`)
        .get([]);
      applied =
        table === undefined
          ? []
          : (
              sqlite.prepare('select name from kysely_migration order by name').all([]) as {
                name: string;
              }[]
            ).map((r) => r.name);
    } finally {
      sqlite.close();
    }
  } catch (error) {
    const message = `${file} cannot be read as an SQLite database: ${(error as Error).message}`;
    return { location, problem: { code: 'database_unusable', message } };
  }
  const schema = schemaState(applied);
  // SQLite writes the file and, beside it, its write-ahead log and shared-memory index.
  const denied = [file, dirname(file)].filter((path) => !writable(path));
  if (denied.length > 0)
    return readOnly(
      location,
      schema.text,
      `${denied.join(' and ')} ${denied.length === 1 ? 'is' : 'are'} not writable by this user: the API writes the file and, beside it, its -wal and -shm files; let the user the API runs as write them`,
    );
  if (schema.unknown.length > 0)
    return {
      location,
      schema: schema.text,
      problem: { code: 'database_newer', message: NEWER(schema) },
    };
  return { location, schema: schema.text, writes: 'allowed' };
}
