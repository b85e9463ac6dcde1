import type { Insertable, QueryCreator } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Owner, Schema } from '../db/schema.js';
import { auditRow } from '../repositories/audit.js';
import { type OwnerProfile, upsertOwner } from '../repositories/owners.js';

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
 * per write. The explicit transaction is kept on purpose: a connection lost before `COMMIT`
 * stores nothing. The statements touch tables without foreign keys between them, so sharing
 * one snapshot changes nothing.
 */
export async function writeAndAudit<T>(
  db: Db,
  record: WriteRecord<T>,
  change: Change<T> | NewRow<T>,
): Promise<T> {
  const now = record.at;
  return db.kysely.transaction().execute(async (tx) => {
    const planned = typeof change === 'function' ? undefined : change;
    const result = planned ? planned.result : await (change as Change<T>)(tx, now);
    if (result === undefined || result === false) return result;
    const { actor } = record;
    const resource =
      typeof record.resource === 'function'
        ? record.resource(result as Exclude<T, undefined | false>)
        : record.resource;
    const entry = auditRow(
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
    );
    const profile = actor && 'username' in actor ? actor : undefined;
    if (db.dialect === 'postgres') {
      let q = tx as QueryCreator<Schema>;
      if (profile) {
        q = q.with('owner', (c) =>
          upsertOwner(c, profile, now).returning('sub'),
        ) as unknown as typeof q;
      }
      if (planned) {
        q = q.with('written', (c) =>
          c
            .insertInto(planned.into)
            .values(planned.row as never)
            .returning(sql<number>`1`.as('one')),
        ) as unknown as typeof q;
      }
      await q.insertInto('audit_log').values(entry).execute();
      return result;
    }
    if (planned)
      await tx
        .insertInto(planned.into)
        .values(planned.row as never)
        .execute();
    if (profile) await upsertOwner(tx, profile, now).execute();
    await tx.insertInto('audit_log').values(entry).execute();
    return result;
  });
}
