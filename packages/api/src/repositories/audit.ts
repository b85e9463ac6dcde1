import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { toIso } from '../db/database.js';
import type { AuditEntry } from '../schemas/admin.js';
import type { Page } from '../schemas/common.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** One audit record to write. */
export interface AuditInput {
  /** Who: the person, and the OAuth client (`azp`, else `client_id`) whose token made the request. */
  actor?: { issuer: string; subject: string; client?: string | undefined } | undefined;
  action: string;
  resource?: string | undefined;
  outcome: 'success' | 'denied';
  detail?: string | undefined;
  requestId?: string | undefined;
}

/** The `audit_log` row of one record (`at`: `now` as ISO 8601, when the caller has it already). */
export function auditRow(input: AuditInput, now: Date, at = now.toISOString()) {
  return {
    id: randomUUID(),
    at,
    actor_issuer: input.actor?.issuer ?? null,
    actor_sub: input.actor?.subject ?? null,
    actor_client: input.actor?.client ?? null,
    action: input.action,
    resource: input.resource ?? null,
    outcome: input.outcome,
    detail: input.detail ?? null,
    request_id: input.requestId ?? null,
  };
}

type Tx = Db['kysely'];

/** The append-only audit log: every write and every authorization denial. */
export function auditRepository(db: Db) {
  const k = db.kysely;
  return {
    insert: (input: AuditInput, now: Date) => insertDenial(k, input, now),
    addSuppressed: (id: string, count: number) => addSuppressed(k, id, count),
    // A first prune of a long-kept log may take a while: no deadline (`Db.unbounded`).
    prune: (before: Date) => db.unbounded((own) => pruneAudit(own, before)),
    list: (options: { limit: number; cursor?: string }) => listAudit(k, options),
  };
}

/**
 * Writes one denial record outside any transaction; returns its id. A write's success is
 * recorded with the write itself (`audit/write-and-audit.ts`).
 */
async function insertDenial(k: Tx, input: AuditInput, now: Date): Promise<string> {
  const row = auditRow(input, now);
  await k.insertInto('audit_log').values(row).execute();
  return row.id;
}

/** Adds `count` suppressed denials to the record `id` stands for. */
async function addSuppressed(k: Tx, id: string, count: number): Promise<void> {
  await k
    .updateTable('audit_log')
    .set((eb) => ({ suppressed: eb('suppressed', '+', count) }))
    .where('id', '=', id)
    .execute();
}

/** Deletes records older than `before`; returns how many went. */
async function pruneAudit(k: Tx, before: Date): Promise<number> {
  const result = await k
    .deleteFrom('audit_log')
    .where('at', '<', before.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Newest first, keyset-paginated like todos. */
async function listAudit(
  k: Tx,
  options: { limit: number; cursor?: string },
): Promise<Page<AuditEntry>> {
  // Names come from the owners table, kept from each person's latest token (writes and
  // denials both record it), so the log shows people rather than bare subjects.
  let query = k
    .selectFrom('audit_log')
    .leftJoin('owners', (join) =>
      join
        .onRef('owners.issuer', '=', 'audit_log.actor_issuer')
        .onRef('owners.sub', '=', 'audit_log.actor_sub'),
    )
    .selectAll('audit_log')
    .select(['owners.username as actor_username', 'owners.email as actor_email']);
  if (options.cursor !== undefined) {
    const after = decodeCursor(options.cursor);
    query = query.where((eb) =>
      eb.or([
        eb('audit_log.at', '<', after.at),
        eb.and([eb('audit_log.at', '=', after.at), eb('audit_log.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('audit_log.at', 'desc')
    .orderBy('audit_log.id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const items = rows.slice(0, options.limit).map((row) => ({
    id: row.id,
    at: toIso(row.at),
    actorIssuer: row.actor_issuer,
    actorSub: row.actor_sub,
    actorName: row.actor_username ?? row.actor_email ?? null,
    actorClient: row.actor_client ?? null,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    detail: row.detail,
    requestId: row.request_id,
    suppressed: Number(row.suppressed),
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > options.limit && last ? encodeCursor({ at: last.at, id: last.id }) : null,
  };
}
