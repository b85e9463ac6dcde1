import type { CompiledQuery, Insertable } from 'kysely';
import { sql } from 'kysely';
import { insertClaimed, KEY_COLUMNS, type KeyClaim, withClaim } from '../audit/write-once.js';
import { compileTemplate, fillByPrefix } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import type { Schema } from '../db/schema.js';

type Tx = Db['kysely'];
type Statement = (sources: readonly (object | undefined)[]) => CompiledQuery<unknown>;

/** The statements compiled once, per database and the new row's columns. */
const statements = new WeakMap<Db, Map<string, Statement>>();

/**
 * PostgreSQL, in a write's transaction: an `Idempotency-Key`'s claim and the new todo's insert
 * as ONE statement, `WITH claim AS (INSERT INTO idempotency_keys … ON CONFLICT DO UPDATE …
 * WHERE expired RETURNING 1) INSERT INTO todos … SELECT … FROM claim`: the todo is inserted only
 * when the key was claimed; true when it was. One round trip where the claim and the insert took
 * two, with `KeyRecord.claim`'s semantics (see `writeOnceAndAudit`: a key another transaction is
 * inserting is waited for; a key committed since is found taken; an expired one is taken over).
 */
export async function claimAndInsert(
  db: Db,
  tx: Tx,
  claim: KeyClaim,
  row: Insertable<Schema['todos']>,
): Promise<boolean> {
  let shapes = statements.get(db);
  if (shapes === undefined) {
    shapes = new Map();
    statements.set(db, shapes);
  }
  const columns = Object.keys(row);
  const shape = columns.join(',');
  let statement = shapes.get(shape);
  if (statement === undefined) {
    const template = compileTemplate<unknown, string>((param) => {
      const keyRow = Object.fromEntries(KEY_COLUMNS.map((name) => [name, param(`k.${name}`)]));
      const q = withClaim(db, param, keyRow);
      return insertClaimed(q, param, 'todos', 'r.', columns, db.kysely).returning(
        sql<number>`1`.as('one'),
      );
    });
    statement = fillByPrefix(template, ['r.', 'k.', 'c.']);
    shapes.set(shape, statement);
  }
  const { rows } = await tx.executeQuery(statement([row, claim.row, claim]));
  return rows.length === 1;
}
