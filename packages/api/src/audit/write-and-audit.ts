import type { CompiledQuery, Insertable, QueryCreator } from 'kysely';
import { sql } from 'kysely';
import { compileTemplate, fillByPrefix } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import type { Owner, Schema } from '../db/schema.js';
import { auditRow } from '../repositories/audit.js';
import {
  type OwnerProfile,
  ownerRow,
  recordOwnerParts,
  upsertOwner,
} from '../repositories/owners.js';

type Tx = Db['kysely'];

/** An owner as an audit record's actor, with the OAuth client of their token when there is one. */
export type AuditedOwner = Owner & { readonly client?: string | undefined };

/** Who made a write and what it was: the audit record of a success. */
export interface WriteRecord<T> {
  /**
   * Who made the change. A profile (the caller's token) is also stored in `owners` in the same
   * transaction, so the log and the sharing dialog can name them; a bare owner (a logout
   * token's subject) is recorded as it is; none for a write nobody signed. Its `client` (the
   * token's, `profileOf`/`actorOf` set it) is the record's: every write names the client behind it.
   */
  readonly actor: (OwnerProfile & AuditedOwner) | AuditedOwner | undefined;
  readonly action: string;
  /** `kind:id`, or a function of the write's result when the write decides it. */
  readonly resource: string | ((result: Exclude<T, undefined | false>) => string);
  readonly detail?: string | undefined;
  readonly requestId: string | undefined;
  /** When it happened: the write's `now` and the record's time. */
  readonly at: Date;
}

/** A write in the transaction; `undefined` or `false` when it wrote nothing (not audited). */
export type Change<T> = (tx: Tx, now: Date) => Promise<T>;

/**
 * One row to insert, known before the transaction (a new todo): on PostgreSQL the insert, the
 * owner's profile and the audit record are then one statement.
 */
export interface NewRow<T, K extends keyof Schema = keyof Schema> {
  readonly into: K;
  readonly row: Insertable<Schema[K]>;
  /** What the write returns. */
  readonly result: T;
}

/**
 * The one way the API writes on someone's behalf: the change, the actor's profile and the
 * audit record commit in ONE transaction, or none of them does (a failed audit insert rolls
 * the change back; a 5xx then means "not written"). A change that wrote nothing (`undefined`
 * or `false`: no row matched, a replayed logout) is not audited. Refusals are recorded
 * elsewhere (`denial-audit.ts`), since nothing is written then.
 *
 * On PostgreSQL the profile upsert and the audit insert are one statement (data-modifying
 * `WITH`, PostgreSQL 15 §7.8.4), and so is a `NewRow` insert with them: one round trip fewer
 * per write. The profile is recorded without locking an unchanged `owners` row
 * (`recordOwnerParts`), so one person's concurrent writes do not wait for each other. That statement is compiled once per shape and runs as a named prepared statement
 * (`compileOnce`). The explicit transaction is kept on purpose: a connection lost before
 * `COMMIT` stores nothing, where a single autocommitted statement could be stored with its
 * answer lost. A `NewRow` write, known whole before it starts, is built before a connection is
 * taken, and its `BEGIN` travels with the statement (`Db.transactionOfOne`): two round trips
 * instead of three, `COMMIT` still sent only once the statement has succeeded. The statements
 * touch tables without foreign keys between them, so sharing one snapshot changes nothing.
 */
export async function writeAndAudit<T>(
  db: Db,
  record: WriteRecord<T>,
  change: Change<T> | NewRow<T>,
): Promise<T> {
  const now = record.at;
  const { actor } = record;
  const profile = actor && 'username' in actor ? actor : undefined;
  if (db.transactionOfOne !== undefined && typeof change !== 'function') {
    const { result } = change;
    if (result === undefined || result === false) return result;
    const at = now.toISOString();
    const entry = auditEntry(record, result as Exclude<T, undefined | false>, now, at);
    const owner = profile && ownerRow(profile, now, at);
    const statement = auditStatement(db, change, owner !== undefined);
    await db.transactionOfOne(statement(change.row, entry, owner));
    return result;
  }
  return db.kysely.transaction().execute(async (tx) => {
    const planned = typeof change === 'function' ? undefined : change;
    const result = planned ? planned.result : await (change as Change<T>)(tx, now);
    if (result === undefined || result === false) return result;
    const entry = auditEntry(record, result as Exclude<T, undefined | false>, now);
    const owner = profile && ownerRow(profile, now);
    if (db.dialect === 'postgres') {
      const statement = auditStatement(db, planned, owner !== undefined);
      await tx.executeQuery(statement(planned?.row, entry, owner));
      return result;
    }
    if (planned)
      await tx
        .insertInto(planned.into)
        .values(planned.row as never)
        .execute();
    if (owner) await upsertOwner(tx, db.dialect, owner).execute();
    await tx.insertInto('audit_log').values(entry).execute();
    return result;
  });
}

/** The audit row of a write that returned `result`. */
export function auditEntry<T>(
  record: WriteRecord<T>,
  result: Exclude<T, undefined | false>,
  now: Date,
  at?: string,
) {
  const { actor } = record;
  const resource =
    typeof record.resource === 'function' ? record.resource(result) : record.resource;
  return auditRow(
    {
      actor: actor && { issuer: actor.issuer, subject: actor.subject, client: actor.client },
      action: record.action,
      resource,
      outcome: 'success',
      detail: record.detail,
      requestId: record.requestId,
    },
    now,
    at,
  );
}

/** The statement of one write with its values: the new row's, the audit record's, the owner's. */
type Statement = (
  row: object | undefined,
  entry: object,
  owner: object | undefined,
) => CompiledQuery<unknown>;

/** PostgreSQL's audit statements compiled once, per database and shape. */
const auditStatements = new WeakMap<Db, Map<string, Statement>>();

/**
 * The one statement of a write's record on PostgreSQL: `WITH owner AS (upsert), written AS
 * (insert) INSERT INTO audit_log`, the owner with a profile only, `written` with a `NewRow`
 * only. Every value is a parameter (`r.` the row's columns, `a.` the audit record's, `o.` the
 * owner's); the statement is compiled at its first use in each shape (table, columns, owner).
 */
function auditStatement(
  db: Db,
  planned: NewRow<unknown> | undefined,
  withOwner: boolean,
): Statement {
  let shapes = auditStatements.get(db);
  if (shapes === undefined) {
    shapes = new Map();
    auditStatements.set(db, shapes);
  }
  const columns = planned ? Object.keys(planned.row) : [];
  const key = `${planned?.into} ${columns.join(',')} ${withOwner}`;
  let statement = shapes.get(key);
  if (statement === undefined) {
    const template = compileTemplate<unknown, string>((param) => {
      const named = (prefix: string, names: readonly string[]) =>
        Object.fromEntries(names.map((name) => [name, param(`${prefix}${name}`)]));
      let q = db.kysely as QueryCreator<Schema>;
      if (withOwner) {
        const owner = named('o.', OWNER_COLUMNS) as ReturnType<typeof ownerRow>;
        const parts = (c: unknown) => recordOwnerParts(c as QueryCreator<Schema>, owner);
        q = q.with('owner', (c) => parts(c).inserted.returning('sub')) as unknown as typeof q;
        q = q.with('seen', (c) => parts(c).refreshed.returning('sub')) as unknown as typeof q;
      }
      if (planned) {
        q = q.with('written', (c) =>
          c
            .insertInto(planned.into)
            .values(named('r.', columns) as never)
            .returning(sql<number>`1`.as('one')),
        ) as unknown as typeof q;
      }
      return q.insertInto('audit_log').values(named('a.', AUDIT_COLUMNS) as never);
    });
    const fill = fillByPrefix(template, ['r.', 'a.', 'o.']);
    statement = (row, entry, owner) => fill([row, entry, owner]);
    shapes.set(key, statement);
  }
  return statement;
}

export const OWNER_COLUMNS = ['issuer', 'sub', 'username', 'email', 'department', 'last_seen_at'];
export const AUDIT_COLUMNS = Object.keys(auditRow({ action: '', outcome: 'success' }, new Date(0)));
