import type { CompiledQuery, Insertable, QueryCreator } from 'kysely';
import { sql } from 'kysely';
import { compileTemplate } from '../db/compiled.js';
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

/** Who made a write and what it was: the audit record of a success. */
export interface WriteRecord<T> {
  /**
   * Who made the change. A profile (the caller's token) is also stored in `owners` in the same
   * transaction, so the log and the sharing dialog can name them; a bare owner (a logout
   * token's subject) is recorded as it is; none for a write nobody signed.
   */
  readonly actor: OwnerProfile | Owner | undefined;
  /** The OAuth client (`azp`) whose token made the request, when the caller records it. */
  readonly client?: string | undefined;
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
 * `writeAndAudit` of a `NewRow` under an `Idempotency-Key`, on PostgreSQL in ONE statement (and
 * `Db.transactionOfOne`: `BEGIN` with it, then `COMMIT`, as a plain create): the key's claim is
 * the statement's first data-modifying `WITH`, and the row, the owner's profile and the audit
 * record are inserted from its result, so they are written only when the key was claimed.
 *
 * PostgreSQL 15 semantics it relies on: `INSERT … ON CONFLICT DO UPDATE … WHERE` (§INSERT) on a
 * key another transaction is inserting waits for that transaction; once it committed, the
 * conflicting row is locked and the `WHERE` (expired) evaluated on its latest version, even
 * one the statement's snapshot does not see, and a row not updated returns nothing; once it
 * rolled back, the insert goes ahead. Every `WITH` sees one snapshot (§7.8.4), so `stored`
 * reads the key's row only if it was committed before the statement began (never the row the
 * claim inserts or takes over: a taken-over row is expired, and `stored` reads live ones).
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
    statement([change.row, entry, owner, claim.row, claim], ['r.', 'a.', 'o.', 'k.', 'c.']),
  )) as readonly (StoredKey & { readonly claimed: boolean })[];
  if (rows.some((row) => row.claimed)) return { claimed: true };
  const stored = rows[0];
  return {
    claimed: false,
    stored: stored && {
      fingerprint: stored.fingerprint,
      body: stored.body,
      location: stored.location,
      etag: stored.etag,
    },
  };
}

/** The statement of a keyed write with its values, one object per prefix. */
type ValuesStatement = (
  sources: readonly (object | undefined)[],
  prefixes: readonly string[],
) => CompiledQuery<unknown>;

/** PostgreSQL's keyed write statements compiled once, per database and shape. */
const claimStatements = new WeakMap<Db, Map<string, ValuesStatement>>();

/**
 * `writeOnceAndAudit`'s statement: `WITH claim AS (INSERT INTO idempotency_keys … ON CONFLICT
 * DO UPDATE … WHERE expired RETURNING 1), stored AS (SELECT the live row), owner/seen (the
 * profile, only with a claim), written AS (INSERT … SELECT … FROM claim), audited AS (the same
 * for the audit record)`, answering `claimed` and the stored row. Values: `r.` the row's, `a.`
 * the audit record's, `o.` the owner's, `k.` the key row's, `c.expired`.
 */
function claimStatement(db: Db, planned: NewRow<unknown>, withOwner: boolean): ValuesStatement {
  let shapes = claimStatements.get(db);
  if (shapes === undefined) {
    shapes = new Map();
    claimStatements.set(db, shapes);
  }
  const columns = Object.keys(planned.row);
  const key = `${planned.into} ${columns.join(',')} ${withOwner}`;
  let statement = shapes.get(key);
  if (statement === undefined) {
    const template = compileTemplate<unknown, string>((param) => {
      const named = (prefix: string, names: readonly string[]) =>
        Object.fromEntries(names.map((name) => [name, param(`${prefix}${name}`)]));
      // `SELECT $1 AS a, … FROM claim`: one row when the key was claimed, none otherwise; in
      // `INSERT … SELECT` each value takes its column's type (as in `VALUES`).
      const fromClaim = (c: QueryCreator<Schema>, prefix: string, names: readonly string[]) =>
        (c as unknown as QueryCreator<{ claim: { one: number } }>)
          .selectFrom('claim')
          .select(names.map((name) => sql`${param(`${prefix}${name}`)}`.as(name)));
      const keyRow = named('k.', KEY_COLUMNS) as Insertable<Schema['idempotency_keys']>;
      const expired = param('c.expired');
      let q = (db.kysely as QueryCreator<Schema>).with('claim', (c) =>
        c
          .insertInto('idempotency_keys')
          .values(keyRow)
          .onConflict((oc) =>
            oc
              .columns(['issuer', 'sub', 'key'])
              .doUpdateSet((eb) =>
                Object.fromEntries(
                  KEY_COLUMNS.filter((name) => !KEY_IDENTITY.includes(name)).map((name) => [
                    name,
                    eb.ref(`excluded.${name}` as 'excluded.body'),
                  ]),
                ),
              )
              .where('idempotency_keys.created_at', '<=', expired),
          )
          .returning(sql<number>`1`.as('one')),
      ) as unknown as QueryCreator<Schema>;
      q = q.with('stored', (c) =>
        c
          .selectFrom('idempotency_keys')
          .select(['fingerprint', 'body', 'location', 'etag'])
          .where('issuer', '=', param('k.issuer'))
          .where('sub', '=', param('k.sub'))
          .where('key', '=', param('k.key'))
          .where('created_at', '>', param('c.expired')),
      ) as unknown as QueryCreator<Schema>;
      const claimed = (c: QueryCreator<Schema>) =>
        (c as unknown as QueryCreator<{ claim: { one: number } }>)
          .selectFrom('claim')
          .select(sql<number>`1`.as('one'));
      if (withOwner) {
        const owner = named('o.', OWNER_COLUMNS) as ReturnType<typeof ownerRow>;
        q = q.with('owner', (c) =>
          c
            .insertInto('owners')
            .columns(OWNER_COLUMNS as never)
            .expression(fromClaim(c, 'o.', OWNER_COLUMNS) as never)
            .onConflict((oc) => oc.columns(['issuer', 'sub']).doNothing())
            .returning('sub'),
        ) as unknown as typeof q;
        q = q.with('seen', (c) =>
          recordOwnerParts(c, owner)
            .refreshed.where((eb) => eb.exists(claimed(c) as never))
            .returning('sub'),
        ) as unknown as typeof q;
      }
      q = q.with('written', (c) =>
        c
          .insertInto(planned.into)
          .columns(columns as never)
          .expression(fromClaim(c, 'r.', columns) as never)
          .returning(sql<number>`1`.as('one')),
      ) as unknown as typeof q;
      q = q.with('audited', (c) =>
        c
          .insertInto('audit_log')
          .columns(AUDIT_COLUMNS as never)
          .expression(fromClaim(c, 'a.', AUDIT_COLUMNS) as never)
          .returning(sql<number>`1`.as('one')),
      ) as unknown as typeof q;
      const answer = q as unknown as QueryCreator<{
        claim: { one: number };
        stored: StoredKey;
      }>;
      return answer
        .selectFrom('claim')
        .select([
          sql<boolean>`true`.as('claimed'),
          sql<string>`null`.as('fingerprint'),
          sql<string>`null`.as('body'),
          sql<string | null>`null`.as('location'),
          sql<string | null>`null`.as('etag'),
        ])
        .unionAll(
          // Outside the `WITH` (that would repeat it): the union reads the statement's `stored`.
          (db.kysely as unknown as QueryCreator<{ stored: StoredKey }>)
            .selectFrom('stored')
            .select([sql<boolean>`false`.as('claimed'), 'fingerprint', 'body', 'location', 'etag']),
        );
    });
    statement = valuesFrom(template);
    shapes.set(key, statement);
  }
  return statement;
}

/** A compiled template given its values from one object per prefix (`valuesInOrder`'s way). */
function valuesFrom(
  template: ReturnType<typeof compileTemplate<unknown, string>>,
): ValuesStatement {
  let order: { readonly from: number[]; readonly keys: string[] } | undefined;
  return (sources, prefixes) => {
    const { query, slots } = template();
    if (order === undefined) {
      const from: number[] = [];
      const keys: string[] = [];
      for (const slot of slots) {
        const at = 'name' in slot ? slot.name.indexOf('.') + 1 : 0;
        const source = 'name' in slot ? prefixes.indexOf(slot.name.slice(0, at)) : -1;
        from.push(source);
        keys.push(source === -1 ? '' : (slot as { name: string }).name.slice(at));
      }
      order = { from, keys };
    }
    const parameters: unknown[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i += 1) {
      const source = order.from[i] as number;
      parameters[i] =
        source === -1
          ? (slots[i] as { value: unknown }).value
          : (sources[source] as Record<string, unknown> | undefined)?.[order.keys[i] as string];
    }
    return { ...query, parameters };
  };
}

/** The audit row of a write that returned `result`. */
function auditEntry<T>(
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
      actor: actor && { issuer: actor.issuer, subject: actor.subject },
      client: record.client,
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
    statement = valuesInOrder(template);
    shapes.set(key, statement);
  }
  return statement;
}

/**
 * A compiled `auditStatement` given its values straight from the row, the audit record and the
 * owner's row: each parameter read from the object its name's prefix names (`r.`, `a.`, `o.`),
 * in the statement's order, without an intermediate object of prefixed names (on PostgreSQL a
 * write's one statement has about 26 values: the prefixed keys, one object per write).
 */
function valuesInOrder(template: ReturnType<typeof compileTemplate<unknown, string>>): Statement {
  let order: { readonly from: number[]; readonly keys: string[] } | undefined;
  const SOURCES = ['r.', 'a.', 'o.'];
  return (row, entry, owner) => {
    const { query, slots } = template();
    if (order === undefined) {
      const from: number[] = [];
      const keys: string[] = [];
      for (const slot of slots) {
        const source = 'name' in slot ? SOURCES.indexOf(slot.name.slice(0, 2)) : -1;
        from.push(source);
        keys.push(source === -1 ? '' : (slot as { name: string }).name.slice(2));
      }
      order = { from, keys };
    }
    const sources = [row, entry, owner] as (Record<string, unknown> | undefined)[];
    const parameters: unknown[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i += 1) {
      const source = order.from[i] as number;
      parameters[i] =
        source === -1
          ? (slots[i] as { value: unknown }).value
          : sources[source]?.[order.keys[i] as string];
    }
    return { ...query, parameters };
  };
}

const KEY_IDENTITY: readonly string[] = ['issuer', 'sub', 'key'];
const KEY_COLUMNS = [
  ...KEY_IDENTITY,
  'fingerprint',
  'status',
  'body',
  'location',
  'etag',
  'created_at',
];
const OWNER_COLUMNS = ['issuer', 'sub', 'username', 'email', 'department', 'last_seen_at'];
const AUDIT_COLUMNS = Object.keys(auditRow({ action: '', outcome: 'success' }, new Date(0)));
