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

/** node-postgres's connection: its events and its record of the names parsed on it. */
interface StatementConnection {
  on(event: 'errorMessage', listener: (message: { code?: string }) => void): void;
  parsedStatements: Record<string, string>;
  submittedNamedStatements?: Record<string, string>;
}

/**
 * node-postgres remembers which names it has parsed on a connection and never parses them
 * again; the server forgets them all on `DISCARD ALL` or `DEALLOCATE ALL` (a connection
 * pooler's reset, an operator). Every later Bind of such a name then fails with SQLSTATE 26000
 * (PostgreSQL 15 Appendix A, invalid_sql_statement_name), on that connection for as long as it
 * lives: one pooled connection in ten answering every write and read it serves with an error.
 * On that error the record is emptied, so the request that met it fails once and the next use
 * of the connection parses its statements, `BEGIN` included, again. The listener runs before
 * the client's own (it is added first), so the query in flight still fails as it did.
 */
export function forgetDroppedStatements(client: object): void {
  const { connection } = client as { connection: StatementConnection };
  connection.on('errorMessage', (message) => {
    if (message.code !== '26000') return;
    connection.parsedStatements = {};
    if (connection.submittedNamedStatements !== undefined) connection.submittedNamedStatements = {};
  });
}
