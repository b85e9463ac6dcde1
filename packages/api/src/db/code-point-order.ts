import { type RawBuilder, sql } from 'kysely';
import type { DialectName } from './database.js';

/**
 * A text column compared by Unicode code point, as SQLite's default `BINARY` collation compares
 * it (UTF-8 bytes in order are code points in order). PostgreSQL compares text by the
 * database's collation, which is whatever locale the server was initialised with: `en_US` puts
 * `apple` before `Zeta` and `émile` before `nobody`, `C` the other way round. Ordering by
 * `COLLATE "C"` there gives the same order on both engines and on every PostgreSQL, so a listing
 * "by name" and a keyset position compared with `>` mean the same thing everywhere.
 */
export function byCodePoint(dialect: DialectName, column: string): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`${sql.ref(column)} collate "C"` : sql.ref(column);
}
