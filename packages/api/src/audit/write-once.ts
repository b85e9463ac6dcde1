import type { CompiledQuery, Insertable, QueryCreator } from 'kysely';
import { sql } from 'kysely';
import { compileTemplate, fillByPrefix } from '../db/compiled.js';
import type { Db } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import { ownerRow, recordOwnerParts } from '../repositories/owners.js';
import {
  AUDIT_COLUMNS,
  auditEntry,
  type NewRow,
  OWNER_COLUMNS,
  type WriteRecord,
} from './write-and-audit.js';

/** A key's row to claim with a `NewRow` (an `Idempotency-Key`): see `writeOnceAndAudit`. */
export interface KeyClaim {
  /** The key's row, holding the answer to the new row. */
  readonly row: Insertable<Schema['idempotency_keys']>;
  /** A stored row of the key created at or before this time has expired: it is taken over. */
  readonly expired: string;
}

/** The key's live row as the statement's snapshot saw it (another request's answer). */
export interface StoredKey {
  readonly fingerprint: string;
  readonly body: string;
  readonly location: string | null;
  readonly etag: string | null;
}

/**
 * What `writeOnceAndAudit` did: claimed the key (and wrote), or found it taken, with the taker's
 * row when it was committed before the statement began (`stored`), else none: a request that
 * committed while the statement waited for it, which a new read sees.
 */
export type ClaimOutcome =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly stored: StoredKey | undefined };

/**
 * `writeAndAudit` of a `NewRow` under an `Idempotency-Key`, on PostgreSQL in ONE statement (run
 * by `Db.transactionOfOne`: `BEGIN` sent with it, then `COMMIT`, as a plain create): the key's
 * claim is the statement's first data-modifying `WITH`, and the row, the owner's profile and the
 * audit record are inserted from its result, so they are written only when the key was claimed.
 *
 * PostgreSQL 15 semantics it relies on (INSERT, "ON CONFLICT Clause"; §7.8.4): an `INSERT … ON
 * CONFLICT DO UPDATE … WHERE` on a key another transaction is inserting waits for that
 * transaction; once it committed, the conflicting row is locked and the `WHERE` (expired)
 * evaluated on its latest version, even one the statement's snapshot does not see, and a row not
 * updated returns nothing; once it rolled back, the insert goes ahead. Every `WITH` sees one
 * snapshot, so `stored` reads the key's row only if it was committed before the statement began,
 * never the row the claim inserts or takes over (a taken-over row is expired; `stored` reads
 * live ones). The tables have no foreign keys between them: one snapshot changes nothing else.
 *
 * @throws {TypeError} on a database without `transactionOfOne` (SQLite: `writeAndAudit` with a
 *   change that claims the key first, in the same transaction).
 */
export async function writeOnceAndAudit<T>(
  db: Db,
  record: WriteRecord<T>,
  change: NewRow<T>,
  claim: KeyClaim,
): Promise<ClaimOutcome> {
  const { transactionOfOne } = db;
  if (transactionOfOne === undefined)
    throw new TypeError('writeOnceAndAudit: one statement is PostgreSQL only');
  const now = record.at;
  const { actor } = record;
  const profile = actor && 'username' in actor ? actor : undefined;
  const at = now.toISOString();
  const entry = auditEntry(record, change.result as Exclude<T, undefined | false>, now, at);
  const owner = profile && ownerRow(profile, now, at);
  const statement = claimStatement(db, change, owner !== undefined);
  const rows = (await transactionOfOne(
    statement([change.row, entry, owner, claim.row, claim]),
  )) as readonly (StoredKey & { readonly claimed: boolean })[];
  if (rows.some((row) => row.claimed)) return { claimed: true };
  return { claimed: false, stored: rows[0] };
}

/** The statement of a keyed write with its values: the row's, audit's, owner's, key's, claim's. */
type Statement = (sources: readonly (object | undefined)[]) => CompiledQuery<unknown>;

/** PostgreSQL's keyed write statements compiled once, per database and shape. */
const statements = new WeakMap<Db, Map<string, Statement>>();

/** Names of the statement's values: `r.` the row's, `a.` the audit record's, `o.` the owner's,
 * `k.` the key row's, `c.expired`. */
const PREFIXES = ['r.', 'a.', 'o.', 'k.', 'c.'];

/** The statement for `planned`'s table and columns, with the owner's profile or without. */
function claimStatement(db: Db, planned: NewRow<unknown>, withOwner: boolean): Statement {
  let shapes = statements.get(db);
  if (shapes === undefined) {
    shapes = new Map();
    statements.set(db, shapes);
  }
  const columns = Object.keys(planned.row);
  const shape = `${planned.into} ${columns.join(',')} ${withOwner}`;
  let statement = shapes.get(shape);
  if (statement === undefined) {
    const template = compileTemplate<unknown, string>((param) =>
      buildClaimStatement(db, param, planned.into, columns, withOwner),
    );
    statement = fillByPrefix(template, PREFIXES);
    shapes.set(shape, statement);
  }
  return statement;
}

// biome-ignore lint/suspicious/noExplicitAny: a placeholder stands in for values of any column type
export type Param = (name: string) => any;
type Claimed = QueryCreator<{ claim: { one: number }; stored: StoredKey }>;

/**
 * `WITH claim AS (INSERT INTO idempotency_keys … ON CONFLICT DO UPDATE … WHERE expired
 * RETURNING 1), stored AS (SELECT the live row), owner/seen (the profile, with a claim only),
 * written AS (INSERT … SELECT … FROM claim), audited AS (the same for the audit record)`,
 * answering one row `claimed = true`, or the stored row (`claimed = false`), or none.
 */
function buildClaimStatement(
  db: Db,
  param: Param,
  into: keyof Schema,
  columns: readonly string[],
  withOwner: boolean,
) {
  const named = (prefix: string, names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, param(`${prefix}${name}`)]));
  // `SELECT $1 AS a, … FROM claim`: one row when the key was claimed, none otherwise; in
  // `INSERT … SELECT` each value takes its column's type, as in `VALUES`.
  const insertFromClaim = (
    c: QueryCreator<Schema>,
    table: keyof Schema,
    prefix: string,
    names: readonly string[],
  ) => insertClaimed(c, param, table, prefix, names);
  let q = claimAndStored(db, param, named('k.', KEY_COLUMNS));
  if (withOwner) {
    const owner = named('o.', OWNER_COLUMNS) as ReturnType<typeof ownerRow>;
    q = q.with('owner', (c) =>
      insertFromClaim(c, 'owners', 'o.', OWNER_COLUMNS)
        .onConflict((oc) => oc.columns(['issuer', 'sub']).doNothing())
        .returning('sub'),
    ) as unknown as typeof q;
    q = q.with('seen', (c) =>
      recordOwnerParts(c, owner)
        .refreshed.where((eb) =>
          eb.exists((c as unknown as Claimed).selectFrom('claim').select('one') as never),
        )
        .returning('sub'),
    ) as unknown as typeof q;
  }
  const one = sql<number>`1`.as('one');
  q = q.with('written', (c) =>
    insertFromClaim(c, into, 'r.', columns).returning(one),
  ) as unknown as typeof q;
  q = q.with('audited', (c) =>
    insertFromClaim(c, 'audit_log', 'a.', AUDIT_COLUMNS).returning(one),
  ) as unknown as typeof q;
  const answer = q as unknown as Claimed;
  const none = sql<string | null>`null`;
  return answer
    .selectFrom('claim')
    .select([
      sql<boolean>`true`.as('claimed'),
      sql<string>`null`.as('fingerprint'),
      sql<string>`null`.as('body'),
      none.as('location'),
      none.as('etag'),
    ])
    .unionAll(
      // Outside the `WITH` (which would repeat it): the union reads the statement's `stored`.
      (db.kysely as unknown as Claimed)
        .selectFrom('stored')
        .select([sql<boolean>`false`.as('claimed'), 'fingerprint', 'body', 'location', 'etag']),
    );
}

/**
 * `INSERT INTO table (names) SELECT $1 AS a, … FROM claim`: one row when the key was claimed,
 * none otherwise (each value takes its column's type, as in `VALUES`). Values `prefix` + name.
 * `from` builds the `SELECT` (not `c` when `c` carries the `WITH`, which it would repeat).
 */
export function insertClaimed(
  c: QueryCreator<Schema>,
  param: Param,
  table: keyof Schema,
  prefix: string,
  names: readonly string[],
  from: unknown = c,
) {
  const values = (from as Claimed)
    .selectFrom('claim')
    .select(names.map((name) => sql`${param(`${prefix}${name}`)}`.as(name)));
  return c
    .insertInto(table)
    .columns(names as never)
    .expression(values as never);
}

/** The statement's first two `WITH`s: the key's claim, and its live row as stored before. */
function claimAndStored(db: Db, param: Param, keyRow: Record<string, unknown>) {
  return withClaim(db, param, keyRow).with('stored', (c) =>
    c
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'body', 'location', 'etag'])
      .where('issuer', '=', param('k.issuer'))
      .where('sub', '=', param('k.sub'))
      .where('client_id', '=', param('k.client_id'))
      .where('key', '=', param('k.key'))
      .where('created_at', '>', param('c.expired')),
  ) as unknown as QueryCreator<Schema>;
}

/** `WITH claim AS (INSERT INTO idempotency_keys … ON CONFLICT DO UPDATE … WHERE expired)`. */
export function withClaim(db: Db, param: Param, keyRow: Record<string, unknown>) {
  const expired = param('c.expired');
  const updated = KEY_COLUMNS.filter((name) => !KEY_IDENTITY.includes(name));
  return (db.kysely as QueryCreator<Schema>).with('claim', (c) =>
    c
      .insertInto('idempotency_keys')
      .values(keyRow as Insertable<Schema['idempotency_keys']>)
      .onConflict((oc) =>
        oc
          .columns(['issuer', 'sub', 'client_id', 'key'])
          .doUpdateSet((eb) =>
            Object.fromEntries(
              updated.map((name) => [name, eb.ref(`excluded.${name}` as 'excluded.body')]),
            ),
          )
          .where('idempotency_keys.created_at', '<=', expired),
      )
      .returning(sql<number>`1`.as('one')),
  ) as unknown as QueryCreator<Schema>;
}

const KEY_IDENTITY: readonly string[] = ['issuer', 'sub', 'client_id', 'key'];
export const KEY_COLUMNS = [
  ...KEY_IDENTITY,
  'fingerprint',
  'status',
  'body',
  'location',
  'etag',
  'created_at',
];
