import { createRequire } from 'node:module';
import type Pg from 'pg';

const require = createRequire(import.meta.url);
let pg: typeof Pg | undefined;

/**
 * node-postgres, loaded when a PostgreSQL database is opened: on SQLite (`npm start`, tests,
 * small deployments) its thirty modules are never read, which shortens every start. It is a
 * CommonJS package, so `require` returns the very module an `import` of it would.
 *
 * @throws {Error} naming the driver when it cannot be loaded (a broken install).
 */
export function loadPg(): typeof Pg {
  if (pg === undefined) {
    try {
      pg = require('pg') as typeof Pg;
    } catch (cause) {
      throw new Error(`the PostgreSQL driver (pg) cannot be loaded: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  return pg;
}
